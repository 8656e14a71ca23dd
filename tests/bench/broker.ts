/**
 * `npm run bench:broker`: how many PeerJS clients one broker process holds, and
 * what each costs it. The broker is Ferry's real server (signal-server/server.ts,
 * the real `peer` package behind Ferry's guard) in a process of its own
 * (broker-server.ts); the clients are real WebSockets in client workers
 * (broker-clients.ts), all on loopback. Per-address limits stay on: each client
 * connects from a loopback source address shared by at most --per-address others,
 * so no address goes past its connect burst or its message rate.
 *
 * At each size, with every client heartbeating every 5 s:
 *   - connects per second, to open the clients added since the size before;
 *   - the broker's RSS and heap after a full collection, per client;
 *   - its CPU and event-loop delay over an idle window;
 *   - OFFER delivery latency under a steady trickle of offers;
 *   - session setups per second (OFFER, ANSWER, four CANDIDATEs) in a burst, and
 *     the event-loop delay during it.
 * Then it times `peer`'s per-client bookkeeping on its own, up to 100,000 clients
 * (broker-registry.ts). Prints a Markdown table and writes --out/broker.json and
 * the --chart (docs/broker-capacity.svg), but not with --quick.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { grow, idleWindow, openBench, probeOffers, setupBurst, statuses, sum, type BenchSettings } from './broker-bench.ts';
import type { ServerSample } from './broker-calls.ts';
import { cpuSnapshot, kernelMemory, openFilesLimit, otherLoad } from './broker-machine.ts';
import { registryCost } from './broker-registry.ts';
import { brokerChart, brokerTable, extrapolate, registryTable, targetsLine, type BrokerResults, type Step } from './broker-report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000,15000,19000' },
    /** Two small sizes and short windows, nothing written: proves the bench still works. */
    quick: { type: 'boolean', default: false },
    /** Clients per loopback source address: within the broker's connect burst of 30 and socket cap of 50. */
    'per-address': { type: 'string', default: '30' },
    'idle-seconds': { type: 'string', default: '10' },
    /** OFFERs per second, all workers together, while latency is measured. */
    'probe-rate': { type: 'string', default: '100' },
    'probe-seconds': { type: 'string', default: '10' },
    /** Session setups per burst at most (each client takes part in one at most). */
    setups: { type: 'string', default: '4000' },
    /** Minutes for the whole run; then every process is killed. */
    timeout: { type: 'string', default: '30' },
    /** Where broker.json goes. */
    out: { type: 'string', default: path.join(ROOT, 'docs/bench') },
    chart: { type: 'string', default: path.join(ROOT, 'docs/broker-capacity.svg') },
  },
});

const quick = args.quick;
const settings: BenchSettings = {
  sizes: (quick ? '200,1000' : args.sizes).split(',').map(Number),
  perAddress: Number(args['per-address']),
  idleSeconds: quick ? 3 : Number(args['idle-seconds']),
  probeRate: Number(args['probe-rate']),
  probeSeconds: quick ? 3 : Number(args['probe-seconds']),
  setups: Number(args.setups),
  /** Handshakes in flight per worker: enough to keep the broker busy, not so many that the listen backlog overflows. */
  connectConcurrency: 50,
  setupConcurrency: 64,
  /** Clients per worker: a quarter of the 20,000 descriptors each process may hold. */
  perWorker: 5_000,
  /** The broker's old space, stated rather than left to the machine's size (its default here is about 4 GiB). */
  maxOldSpaceMiB: 4096,
  /** After the clients are open, before anything is measured: their first heartbeats, the allocator settling. */
  settleMs: quick ? 1_000 : 5_000,
};
if (settings.sizes.some((size, i) => !(size > 0) || size <= (settings.sizes[i - 1] ?? 0))) {
  throw new Error(`--sizes must be increasing positive numbers, got ${args.sizes}`);
}
const largest = settings.sizes.at(-1)!;
if (largest > openFilesLimit() - 100) {
  // Past its descriptors the broker cannot even read its own memory (process.memoryUsage fails with EMFILE).
  console.error(`bench:broker: ${largest} peers is more than one process's ${openFilesLimit()} descriptors leave room for`);
}
/** Where `peer`'s own bookkeeping is timed on its own: the measured sizes, and one no process here can hold open. */
const REGISTRY_SIZES = [...new Set([...settings.sizes, 100_000])];

const children: ChildProcess[] = [];
const killAll = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
const deadline = setTimeout(() => {
  console.error(`bench:broker: still running after ${args.timeout} min: stopped`);
  killAll();
  process.exit(1);
}, Number(args.timeout) * 60_000);

const memoryOf = ({ rss, heapUsed, external }: ServerSample) => ({ rss, heapUsed, external });
const MiB = 2 ** 20;

async function main(): Promise<BrokerResults> {
  const bench = await openBench(settings, children);
  await sleep(settings.settleMs);
  const idle = await idleWindow(bench, settings);
  const empty = { memory: memoryOf(await bench.sample(true, false)), kernel: kernelMemory(), idle };
  console.error(`empty broker: RSS ${(empty.memory.rss / MiB).toFixed(0)} MiB, ${bench.workers.length} client workers`);

  const ours = () => cpuSnapshot([process.pid, ...children.map((child) => child.pid ?? 0)]);
  const steps: Step[] = [];
  let stoppedBy: string | undefined;
  for (const size of settings.sizes) {
    const stepStarted = ours();
    const { refusal, ...connects } = await grow(bench, settings, steps.at(-1)?.peers ?? 0, size);
    const peers = (steps.at(-1)?.peers ?? 0) + connects.added;
    if (refusal) stoppedBy = `refused at ${peers} peers: ${refusal}`;
    console.error(
      `${peers} peers: ${connects.added} opened in ${(connects.connectMs / 1000).toFixed(1)} s` +
        (connects.retried > 0 ? `, ${connects.retried} retried after HTTP 429` : '') +
        (refusal ? ` (${stoppedBy})` : ''),
    );

    await sleep(settings.settleMs);
    // Idle first: a full collection leaves the collector's helper threads busy for a while after.
    const idle = await idleWindow(bench, settings);
    const memory = memoryOf(await bench.sample(true, false));
    const kernel = kernelMemory();
    const offers = await probeOffers(bench, settings);
    const setups = await setupBurst(bench, settings);
    const step: Step = {
      peers,
      ...connects,
      memory,
      kernel,
      idle,
      offers,
      setups,
      dropped: sum(await statuses(bench), (status) => status.dropped),
      elsewhere: otherLoad(stepStarted, ours()),
    };
    steps.push(step);
    const { broker } = await bench.sample(false, false);
    console.error(
      `  RSS ${(memory.rss / MiB).toFixed(0)} MiB, idle CPU ${idle.cpuMsPerSecond.toFixed(0)} ms/s, ` +
        `OFFER p99 ${offers.p99.toFixed(1)} ms (loop p99: broker ${offers.loop.p99.toFixed(1)}, workers ${offers.clientsLoopP99.toFixed(1)} ms), ` +
        `${setups.perSecond.toFixed(0)} setups/s; ` +
        `broker holds ${broker.connectedIds} ids on ${broker.sockets} sockets, ${step.dropped} dropped; ` +
        `CPU elsewhere: ${step.elsewhere.othersMsPerSecond.toFixed(0)} ms/s, steal ${step.elsewhere.stealMsPerSecond.toFixed(0)} ms/s`,
    );
    if (stoppedBy) break;
  }

  console.error("timing peer's bookkeeping on its own…");
  killAll(); // the registry timings must not share the cores with the broker and its clients
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memory: os.totalmem(),
      kernel: os.release(),
      node: process.version,
      openFilesPerProcess: openFilesLimit(),
      brokerHeapLimit: bench.heapLimit,
    },
    settings,
    empty,
    steps,
    ...(stoppedBy && { stoppedBy }),
    registry: REGISTRY_SIZES.map(registryCost),
  };
}

try {
  const results = await main();
  console.log(`\n## One broker process, ${results.date.slice(0, 10)}\n`);
  console.log(brokerTable(results));
  if (results.stoppedBy) console.log(`\nStopped: ${results.stoppedBy}`);
  console.log(`\n${targetsLine(results)}`);
  console.log(`\n${registryTable(results.registry)}\n`);
  // --quick's two small sizes on a shared machine: lines through them would say nothing.
  if (!quick) {
    console.log(extrapolate(results, 100_000));
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'broker.json'), `${JSON.stringify(results, null, 2)}\n`);
    const caption = `npm run bench:broker, ${results.date.slice(0, 10)}: one broker process, ${results.machine.cpus} cores shared with the clients, loopback`;
    await writeFile(args.chart, brokerChart(results, caption));
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
  killAll();
}
