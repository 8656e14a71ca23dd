/**
 * `npm run bench:rtt`: raw pumps and Ferry between two Chromiums across a path with
 * round-trip time and loss (delay-path.ts): the raw pump over one data channel
 * (contenders.ts, the raw pump of `npm run bench`), over 4 channels on one
 * connection and over 4 peer connections (page/lanes.ts, work handed to whichever
 * lane has room), and Ferry itself, a real share through the built app
 * (ferry-round.ts). Rounds alternate between the four. Prints a table of medians in
 * MB/s (first byte to last) with Ferry over the one channel, and writes rtt.md and
 * rtt.json to --out (docs/bench by default).
 *
 * The raw pumps need no server: each browser loads a blank page on its own loopback
 * origin, served by interception, and the bench carries offers and answers across.
 * Ferry's server runs on the sender's side of the path, so the receiver reaches its
 * pages and its broker across the path, as it would a server far away.
 *
 * Runs inside the private network namespace: use `npm run bench:rtt`.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM } from '../e2e/browsers.ts';
import { MiB, randomFixture, type Fixture } from '../e2e/fixtures.ts';
import { openDelayPath } from './delay-path.ts';
import { ferryRound, type FerrySite } from './ferry-round.ts';
import { startChildServer, type ChildServer } from './namespace-server.ts';
import { contendersScript } from './page/build.ts';
import type { Arrival } from './page/contenders.ts';
import { loadPageModule } from './page/page-module.ts';
import { rawRound } from './raw-round.ts';
import { median } from './report.ts';
import { withTimeout } from './timeout.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LANES_MODULE = fileURLToPath(new URL('./page/lanes.ts', import.meta.url));

/** The paths measured: round-trip time, loss in each direction, and the MiB each round sends there by default. */
const PATHS = [
  { rttMs: 0, lossPercent: 0, mib: 16 },
  { rttMs: 20, lossPercent: 0, mib: 16 },
  // Smaller where the rates are low (one channel: 2-3 MB/s at 40 ms, under 1 MB/s at 80 ms, 0.3 MB/s with loss
  // on a busy day), so the whole run stays near 8 minutes; none under LANES_FROM_BYTES, or Ferry would use no lanes.
  { rttMs: 40, lossPercent: 0, mib: 12 },
  { rttMs: 80, lossPercent: 0, mib: 8 },
  { rttMs: 40, lossPercent: 1, mib: 8 },
] as const;
type PathSetting = (typeof PATHS)[number];

function pathName({ rttMs, lossPercent }: PathSetting): string {
  return `${rttMs} ms RTT${lossPercent ? ` + ${lossPercent}% loss` : ''}`;
}

const { values: args } = parseArgs({
  options: {
    /** MiB per round on each path, in PATHS' order. */
    sizes: { type: 'string', default: PATHS.map((setting) => setting.mib).join(',') },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string', default: path.join(ROOT, 'docs/bench') },
  },
});
const sizes = args.sizes.split(',').map((mib) => Number(mib) * MiB);
if (sizes.length !== PATHS.length || !sizes.every((size) => size > 0)) {
  console.error(`--sizes takes ${PATHS.length} sizes in MiB, one for each path: ${PATHS.map((setting) => pathName(setting)).join(', ')}`);
  process.exit(2);
}
const rounds = Number(args.rounds);
/** A round that takes longer than this is given up (at 40 ms and 1% loss one channel moves about 0.3 MB/s). */
const ROUND_TIMEOUT_MS = 10 * 60_000;

const sizeOn = (setting: PathSetting) => sizes[PATHS.indexOf(setting)]!;

/** The raw pumps, as lanes: connections × channels on each. */
const PUMPS = {
  channel: { label: '1 channel', connections: 1, channelsEach: 1 },
  channels: { label: '4 channels, 1 connection', connections: 1, channelsEach: 4 },
  connections: { label: '4 peer connections', connections: 4, channelsEach: 1 },
} as const;
type Contender = keyof typeof PUMPS | 'ferry';
const CONTENDERS: readonly Contender[] = [...(Object.keys(PUMPS) as (keyof typeof PUMPS)[]), 'ferry'];
const label = (contender: Contender) => (contender === 'ferry' ? 'Ferry' : PUMPS[contender].label);

interface Round {
  path: string;
  contender: Contender;
  /** Bytes of the round's file. */
  bytes: number;
  round: number;
  /** MB/s from the first byte to the last; null when the round failed or timed out. */
  mbps: number | null;
  /** Bytes each lane carried (the lanes pumps only). */
  lanes?: number[];
  /** Ferry only: how many connections its blocks came over. */
  connections?: number;
  error?: string;
}

declare global {
  /** page/lanes.ts in the page, loaded by page-module.ts. */
  const lanes: typeof import('./page/lanes.ts');
}

const PAGE = 'http://127.0.0.1/bench/';
const PAGE_HTML = '<!doctype html><title>Ferry bench: lanes</title><input type="file" id="bench-file">';

async function openPage(browser: Browser, contendersCode: string): Promise<Page> {
  const page = await browser.newPage();
  await page.route(PAGE, (route) => route.fulfill({ contentType: 'text/html', body: PAGE_HTML }));
  await page.goto(PAGE);
  await page.addScriptTag({ content: contendersCode });
  // tsx compiles this file keeping function names through a helper the page lacks.
  await page.evaluate('globalThis.__name = (fn) => fn');
  await loadPageModule(page, LANES_MODULE, 'lanes');
  return page;
}

/** One transfer of `file` between two pages made for `contender`: MB/s, and what each lane carried. */
async function transfer(
  ferrySite: FerrySite,
  sender: Page,
  receiver: Page,
  contender: Contender,
  file: Fixture,
): Promise<{ mbps: number; lanes?: number[]; connections?: number }> {
  let arrival: Arrival;
  let carried: number[] | undefined;
  if (contender === 'ferry') {
    const { timed } = await ferryRound(ferrySite, sender, receiver, file.path, { timeoutMs: ROUND_TIMEOUT_MS });
    arrival = { ...timed, bytes: file.size };
    if (timed.connections) return { mbps: mbpsOf(arrival), connections: timed.connections };
  } else if (contender === 'channel') {
    arrival = await rawRound(sender, receiver, file);
  } else {
    await sender.locator('#bench-file').setInputFiles(file.path);
    const { connections, channelsEach } = PUMPS[contender];
    const offers = await sender.evaluate(([connections, channelsEach]) => lanes.offer(connections, channelsEach), [connections, channelsEach] as const);
    const answers = await receiver.evaluate(([offers, size]) => lanes.answer(offers, size), [offers, file.size] as const);
    await sender.evaluate((answers) => lanes.accept(answers), answers);
    const sending = sender.evaluate(() => lanes.send());
    arrival = await receiver.evaluate(() => lanes.received());
    carried = await sending;
  }
  return { mbps: mbpsOf(arrival), ...(carried && { lanes: carried }) };
}

function mbpsOf(arrival: Arrival): number {
  return arrival.bytes / 1e6 / ((arrival.lastAt - arrival.firstAt) / 1000);
}

function table(runs: Round[], measuredRtt: Map<string, number>): string {
  const medianOf = (path: string, contender: Contender) => {
    const done = runs.filter((run) => run.path === path && run.contender === contender).flatMap((run) => (run.mbps === null ? [] : [run.mbps]));
    return done.length > 0 ? median(done) : null;
  };
  const cell = (path: string, contender: Contender) => {
    const rates = runs.filter((run) => run.path === path && run.contender === contender);
    const rate = medianOf(path, contender);
    if (rate === null) return 'failed';
    const failed = rates.filter((run) => run.mbps === null).length;
    return `${rate.toFixed(2)}${failed ? ` (${failed} failed)` : ''}`;
  };
  const overOneChannel = (path: string) => {
    const [ferry, channel] = [medianOf(path, 'ferry'), medianOf(path, 'channel')];
    return ferry !== null && channel !== null ? `${(ferry / channel).toFixed(2)}×` : '–';
  };
  return [
    `| path | RTT measured, ms | MiB per round | ${CONTENDERS.map(label).join(' | ')} | Ferry / 1 channel |`,
    `|---|---:|---:|${CONTENDERS.map(() => '---:').join('|')}|---:|`,
    ...PATHS.map((setting) => {
      const path = pathName(setting);
      return `| ${path} | ${measuredRtt.get(path)?.toFixed(1) ?? '–'} | ${sizeOn(setting) / MiB} | ${CONTENDERS.map((contender) => cell(path, contender)).join(' | ')} | ${overOneChannel(path)} |`;
    }),
  ].join('\n');
}

const loadAverage = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  if (!process.env.FERRY_TEST_HOST) {
    console.error('The benchmark runs inside a private network namespace: use `npm run bench:rtt`.');
    process.exit(2);
  }
  const chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  // Interrupted, still remove the namespaces (delay-path.ts does so on exit).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-rtt-'));
  const delayPath = await openDelayPath(work);
  const browsers: Browser[] = [];
  let server: ChildServer | undefined;
  const runs: Round[] = [];
  /** Each path's round-trip time as UDP echoes across it found it, before its rounds. */
  const measuredRtt = new Map<string, number>();
  const loadAtStart = loadAverage();
  try {
    const fixtures = new Map<number, Fixture>();
    for (const size of new Set(PATHS.map(sizeOn))) fixtures.set(size, await randomFixture(work, `rtt-${size}.bin`, size));
    const contendersCode = await contendersScript();
    // Ferry's built app and broker on the sender's side: the receiver reaches them across the path.
    server = await startChildServer(delayPath.a.inside([]), delayPath.a.address, path.join(ROOT, 'dist'));
    const ferrySite: FerrySite = { origin: server.origin, script: contendersCode };
    // Each page gets an off-the-record context of its own, so Ferry's receiver stores in memory here.
    browsers.push(await delayPath.a.launchBrowser(server.origin), await delayPath.b.launchBrowser(server.origin));
    const [senderBrowser, receiverBrowser] = browsers as [Browser, Browser];
    for (const setting of PATHS) {
      const file = fixtures.get(sizeOn(setting))!;
      await delayPath.set(setting.rttMs, setting.lossPercent);
      measuredRtt.set(pathName(setting), await delayPath.probeRtt());
      console.log(`${pathName(setting)}: UDP echoes measured ${measuredRtt.get(pathName(setting))!.toFixed(2)} ms RTT (median of 9); ${file.size / MiB} MiB per round`);
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so no contender always meets a warmer or a quieter machine.
        for (const contender of CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]!)) {
          const open = (browser: Browser) => (contender === 'ferry' ? browser.newPage() : openPage(browser, contendersCode));
          const [sender, receiver] = await Promise.all([open(senderBrowser), open(receiverBrowser)]);
          const name = `${pathName(setting)} · round ${round + 1} · ${label(contender)}`;
          const about = { path: pathName(setting), contender, bytes: file.size, round };
          try {
            const result = await withTimeout(transfer(ferrySite, sender, receiver, contender, file), name, ROUND_TIMEOUT_MS);
            runs.push({ ...about, ...result });
            const lanesLine = result.lanes
              ? ` (MiB per lane: ${result.lanes.map((bytes) => (bytes / MiB).toFixed(1)).join(' / ')})`
              : result.connections
                ? ` (over ${result.connections} connection${result.connections > 1 ? 's' : ''})`
                : '';
            console.log(`${name}: ${result.mbps.toFixed(2)} MB/s${lanesLine}`);
          } catch (error) {
            runs.push({ ...about, mbps: null, error: String(error) });
            console.log(`${name}: failed: ${String(error)}`);
          } finally {
            await Promise.all([sender.close(), receiver.close()]);
          }
        }
      }
    }
  } finally {
    await Promise.all(browsers.map((browser) => browser.close().catch(() => {})));
    await server?.close();
    console.log(`delay-forwarder: ${await delayPath.close()}`);
    await rm(work, { recursive: true, force: true });
  }

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${chromiumVersion} (headless)`;
  const load = `load average ${loadAtStart} at the start, ${loadAverage()} at the end`;
  const report = [
    `Raw pumps and Ferry across a path with round-trip time (delay-forwarder.c): median MB/s of ${rounds} rounds, MiB per round as shown:`,
    '',
    table(runs, measuredRtt),
    '',
    `${machine}; ${load}.`,
    '',
  ].join('\n');
  console.log(`\n${report}`);
  await mkdir(args.out, { recursive: true });
  await writeFile(path.join(args.out, 'rtt.md'), report);
  await writeFile(path.join(args.out, 'rtt.json'), `${JSON.stringify({ machine, load, sizesMiB: Object.fromEntries(PATHS.map((setting) => [pathName(setting), sizeOn(setting) / MiB])), rounds, measuredRttMs: Object.fromEntries(measuredRtt), runs }, null, 2)}\n`);
  console.log(`wrote rtt.md and rtt.json to ${args.out}`);
}

await main();
