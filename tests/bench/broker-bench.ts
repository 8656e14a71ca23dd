/**
 * The processes of `npm run bench:broker`, running, and the measurements taken of
 * them at each size: the broker (broker-server.ts) and its client workers
 * (broker-clients.ts), asked over IPC (broker-rpc.ts).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { AddressBlock, ClientCalls, ServerCalls, ServerSample } from './broker-calls.ts';
import { percentile, type Idle, type Step } from './broker-report.ts';
import { startChild, type Child } from './broker-rpc.ts';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const CALL_MS = 60_000;

export interface BenchSettings {
  sizes: number[];
  /** Clients per loopback source address. */
  perAddress: number;
  idleSeconds: number;
  /** OFFERs per second, all workers together, while latency is measured. */
  probeRate: number;
  probeSeconds: number;
  /** Session setups per burst at most. */
  setups: number;
  /** Handshakes in flight per worker. */
  connectConcurrency: number;
  /** Setups in flight per worker. */
  setupConcurrency: number;
  /** Clients per worker process. */
  perWorker: number;
  /** The broker's --max-old-space-size. */
  maxOldSpaceMiB: number;
  /** The pause after clients are opened, before anything is measured. */
  settleMs: number;
}

/** The broker and its client workers, running. */
export interface Bench {
  url: string;
  heapLimit: number;
  workers: Child<ClientCalls>[];
  sample(gc: boolean, resetLoop: boolean): Promise<ServerSample>;
}

/**
 * Starts the broker and enough workers for the largest size. Every process is
 * added to `children` as soon as it exists, for the caller to kill whatever happens.
 */
export async function openBench(settings: BenchSettings, children: ChildProcess[]): Promise<Bench> {
  const start = async <C extends ServerCalls | ClientCalls>(script: string, execArgv: string[], env?: NodeJS.ProcessEnv) => {
    const child = startChild<C>(path.join(HERE, script), ['--import', 'tsx', ...execArgv], env);
    children.push(child.process);
    await child.ready;
    return child;
  };
  const largest = settings.sizes.at(-1)!;
  const server = await start<ServerCalls>('broker-server.ts', ['--expose-gc', `--max-old-space-size=${settings.maxOldSpaceMiB}`], serverEnv(largest));
  const { url, heapLimit } = await server.call('start', {}, CALL_MS);
  const workers = await Promise.all(
    Array.from({ length: Math.ceil(largest / settings.perWorker) }, () => start<ClientCalls>('broker-clients.ts', [])),
  );
  return { url, heapLimit, workers, sample: (gc, resetLoop) => server.call('sample', { gc, resetLoop }, CALL_MS) };
}

/** The defaults of `npm start` (any FERRY_* variable of this shell left out), on loopback, with no STUN. */
function serverEnv(largest: number): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FERRY_')));
  return { ...env, FERRY_HOST: '127.0.0.1', FERRY_PORT: '0', FERRY_STUN_PORT: '0', FERRY_MAX_PEERS: String(largest + 1_000) };
}

/** The loopback address of the `index`th group of clients: 127.100.0.1, 127.100.0.2, … (never the broker's 127.0.0.1). */
const sourceAddress = (index: number) => `127.${100 + Math.floor(index / 62_500)}.${Math.floor((index % 62_500) / 250)}.${(index % 250) + 1}`;

/**
 * Clients `from` to `to` (exclusive), by worker: client n comes from address
 * n / perAddress, and each address belongs to one worker, so its pace is kept in one place.
 */
function blocksFor(from: number, to: number, workers: number, perAddress: number): AddressBlock[][] {
  const blocks: AddressBlock[][] = Array.from({ length: workers }, () => []);
  for (let index = Math.floor(from / perAddress); index * perAddress < to; index++) {
    const count = Math.min(to, (index + 1) * perAddress) - Math.max(from, index * perAddress);
    blocks[index % workers]!.push({ address: sourceAddress(index), count });
  }
  return blocks;
}

const cpuPerSecond = (before: ServerSample, after: ServerSample) => (after.cpuMs - before.cpuMs) / ((after.at - before.at) / 1000);
export const sum = <T>(items: T[], pick: (item: T) => number) => items.reduce((total, item) => total + pick(item), 0);

export const statuses = (bench: Bench) => Promise.all(bench.workers.map((worker) => worker.call('status', {}, CALL_MS)));

/** The broker's CPU and event loop with every client only heartbeating. */
export async function idleWindow(bench: Bench, settings: BenchSettings): Promise<Idle> {
  const [before, clientsBefore] = [await bench.sample(false, true), await statuses(bench)];
  await sleep(settings.idleSeconds * 1000);
  const [after, clientsAfter] = [await bench.sample(false, false), await statuses(bench)];
  const seconds = (after.at - before.at) / 1000;
  const clientsMs = sum(clientsAfter, (s) => s.cpuMs) - sum(clientsBefore, (s) => s.cpuMs);
  return { seconds, cpuMsPerSecond: cpuPerSecond(before, after), loop: after.loop, clientsCpuMsPerSecond: clientsMs / seconds };
}

/** Opens clients `from` to `to`, all workers at once; each worker stops at its first refusal. */
export async function grow(bench: Bench, settings: BenchSettings, from: number, to: number) {
  const before = await bench.sample(false, false);
  const started = performance.now();
  const opened = await Promise.all(
    blocksFor(from, to, bench.workers.length, settings.perAddress).map((blocks, index) =>
      bench.workers[index]!.call('open', { url: bench.url, blocks, concurrency: settings.connectConcurrency }, 10 * 60_000),
    ),
  );
  const connectMs = performance.now() - started;
  return {
    added: sum(opened, (result) => result.opened),
    connectMs,
    connectCpuMsPerSecond: cpuPerSecond(before, await bench.sample(false, false)),
    retried: sum(opened, (result) => result.retried),
    refusal: opened.find((result) => result.refused > 0)?.reason,
  };
}

/** OFFER delivery under a steady trickle, and the event loops meanwhile. */
export async function probeOffers(bench: Bench, settings: BenchSettings): Promise<Step['offers']> {
  await bench.sample(false, true);
  const { probeRate, probeSeconds } = settings;
  const probed = await Promise.all(
    bench.workers.map((worker) =>
      worker.call('probe', { perSecond: probeRate / bench.workers.length, seconds: probeSeconds }, (probeSeconds + 30) * 1000),
    ),
  );
  const latencies = probed.flatMap((result) => result.latencies);
  const lost = sum(probed, (result) => result.lost);
  return {
    sent: latencies.length + lost,
    lost,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    loop: (await bench.sample(false, false)).loop,
    clientsLoopP99: Math.max(...probed.map((result) => result.loop.p99)),
  };
}

/** A burst of session setups in every worker at once. */
export async function setupBurst(bench: Bench, settings: BenchSettings): Promise<Step['setups']> {
  const before = await bench.sample(false, true);
  const started = performance.now();
  const done = await Promise.all(
    bench.workers.map((worker) =>
      worker.call('setups', { count: Math.ceil(settings.setups / bench.workers.length), concurrency: settings.setupConcurrency }, 5 * 60_000),
    ),
  );
  const ms = performance.now() - started;
  const after = await bench.sample(false, false);
  const setupMs = done.flatMap((result) => result.setupMs);
  return {
    done: setupMs.length,
    failed: sum(done, (result) => result.failed),
    perSecond: setupMs.length / (ms / 1000),
    p50: percentile(setupMs, 50),
    p99: percentile(setupMs, 99),
    loop: after.loop,
    cpuMsPerSecond: cpuPerSecond(before, after),
  };
}
