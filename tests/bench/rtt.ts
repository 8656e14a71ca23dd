/**
 * `npm run bench:rtt`: the raw pump between two Chromiums across a path with
 * round-trip time and loss (delay-path.ts), over one data channel (contenders.ts,
 * the raw pump of `npm run bench`), over 4 channels on one connection, and over 4
 * peer connections (page/lanes.ts, work handed to whichever lane has room). Rounds
 * alternate between the three. Prints a table of medians in MB/s (first byte to
 * last) and writes rtt.md and rtt.json to --out (docs/bench by default).
 *
 * The pages need no server: each browser loads a blank page on its own loopback
 * origin, served by interception, and the bench carries offers and answers across.
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
import { contendersScript } from './page/build.ts';
import type { Arrival } from './page/contenders.ts';
import { loadPageModule } from './page/page-module.ts';
import { median } from './report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LANES_MODULE = fileURLToPath(new URL('./page/lanes.ts', import.meta.url));

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string', default: path.join(ROOT, 'docs/bench') },
  },
});
const size = Number(args.size) * MiB;
const rounds = Number(args.rounds);
/** A round that takes longer than this is given up (at 40 ms and 1% loss one channel moves about 0.3 MB/s). */
const ROUND_TIMEOUT_MS = 10 * 60_000;

/** The paths measured: round-trip time, and loss in each direction. */
const PATHS = [
  { rttMs: 0, lossPercent: 0 },
  { rttMs: 20, lossPercent: 0 },
  { rttMs: 40, lossPercent: 0 },
  { rttMs: 80, lossPercent: 0 },
  { rttMs: 40, lossPercent: 1 },
] as const;
type PathSetting = (typeof PATHS)[number];

const PUMPS = {
  channel: { label: '1 channel', connections: 1, channelsEach: 1 },
  channels: { label: '4 channels, 1 connection', connections: 1, channelsEach: 4 },
  connections: { label: '4 peer connections', connections: 4, channelsEach: 1 },
} as const;
type Pump = keyof typeof PUMPS;

interface Round {
  path: string;
  pump: Pump;
  round: number;
  /** MB/s from the first byte to the last; null when the round failed or timed out. */
  mbps: number | null;
  /** Bytes each lane carried (the lanes pumps only). */
  lanes?: number[];
  error?: string;
}

// `contenders` (the bundled contenders.ts) is declared in the page's globals by throughput.ts.
declare global {
  /** page/lanes.ts in the page, loaded by page-module.ts. */
  const lanes: typeof import('./page/lanes.ts');
}

const PAGE = 'http://127.0.0.1/bench/';
const PAGE_HTML = '<!doctype html><title>Ferry bench: lanes</title><input type="file" id="bench-file">';

const pathName = ({ rttMs, lossPercent }: PathSetting) => `${rttMs} ms RTT${lossPercent ? ` + ${lossPercent}% loss` : ''}`;

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

/** One transfer of `file` by `pump`: MB/s, and what each lane carried. */
async function transfer(sender: Page, receiver: Page, pump: Pump, file: Fixture): Promise<{ mbps: number; lanes?: number[] }> {
  await sender.locator('#bench-file').setInputFiles(file.path);
  let arrival: Arrival;
  let carried: number[] | undefined;
  if (pump === 'channel') {
    const offer = await sender.evaluate(() => contenders.rawOffer());
    const answer = await receiver.evaluate(([offer, size]) => contenders.rawAnswer(offer, size), [offer, file.size] as const);
    await sender.evaluate((answer) => contenders.rawAccept(answer), answer);
    const sending = sender.evaluate(() => contenders.rawSend());
    arrival = await receiver.evaluate(() => contenders.received());
    await sending;
  } else {
    const { connections, channelsEach } = PUMPS[pump];
    const offers = await sender.evaluate(([connections, channelsEach]) => lanes.offer(connections, channelsEach), [connections, channelsEach] as const);
    const answers = await receiver.evaluate(([offers, size]) => lanes.answer(offers, size), [offers, file.size] as const);
    await sender.evaluate((answers) => lanes.accept(answers), answers);
    const sending = sender.evaluate(() => lanes.send());
    arrival = await receiver.evaluate(() => lanes.received());
    carried = await sending;
  }
  return { mbps: arrival.bytes / 1e6 / ((arrival.lastAt - arrival.firstAt) / 1000), ...(carried && { lanes: carried }) };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ROUND_TIMEOUT_MS / 60_000} minutes`)), ROUND_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function table(runs: Round[], measuredRtt: Map<string, number>): string {
  const pumps = Object.keys(PUMPS) as Pump[];
  const cell = (path: string, pump: Pump) => {
    const rates = runs.filter((run) => run.path === path && run.pump === pump).map((run) => run.mbps);
    const done = rates.filter((rate): rate is number => rate !== null);
    if (done.length === 0) return 'failed';
    const failed = rates.length - done.length;
    return `${median(done).toFixed(2)}${failed ? ` (${failed} failed)` : ''}`;
  };
  return [
    `| path | RTT measured, ms | ${pumps.map((pump) => PUMPS[pump].label).join(' | ')} |`,
    `|---|---:|${pumps.map(() => '---:').join('|')}|`,
    ...PATHS.map(pathName).map((path) => `| ${path} | ${measuredRtt.get(path)?.toFixed(1) ?? '–'} | ${pumps.map((pump) => cell(path, pump)).join(' | ')} |`),
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
  const runs: Round[] = [];
  /** Each path's round-trip time as UDP echoes across it found it, before its rounds. */
  const measuredRtt = new Map<string, number>();
  const loadAtStart = loadAverage();
  try {
    const [file, contendersCode] = await Promise.all([randomFixture(work, 'rtt.bin', size), contendersScript()]);
    browsers.push(await delayPath.a.launchBrowser(), await delayPath.b.launchBrowser());
    const [senderBrowser, receiverBrowser] = browsers as [Browser, Browser];
    for (const setting of PATHS) {
      await delayPath.set(setting.rttMs, setting.lossPercent);
      measuredRtt.set(pathName(setting), await delayPath.probeRtt());
      console.log(`${pathName(setting)}: UDP echoes measured ${measuredRtt.get(pathName(setting))!.toFixed(2)} ms RTT (median of 9)`);
      for (let round = 0; round < rounds; round++) {
        for (const pump of Object.keys(PUMPS) as Pump[]) {
          const [sender, receiver] = await Promise.all([openPage(senderBrowser, contendersCode), openPage(receiverBrowser, contendersCode)]);
          const name = `${pathName(setting)} · round ${round + 1} · ${PUMPS[pump].label}`;
          try {
            const result = await withTimeout(transfer(sender, receiver, pump, file), name);
            runs.push({ path: pathName(setting), pump, round, ...result });
            const lanesLine = result.lanes ? ` (MiB per lane: ${result.lanes.map((bytes) => (bytes / MiB).toFixed(1)).join(' / ')})` : '';
            console.log(`${name}: ${result.mbps.toFixed(2)} MB/s${lanesLine}`);
          } catch (error) {
            runs.push({ path: pathName(setting), pump, round, mbps: null, error: String(error) });
            console.log(`${name}: failed: ${String(error)}`);
          } finally {
            await Promise.all([sender.close(), receiver.close()]);
          }
        }
      }
    }
  } finally {
    await Promise.all(browsers.map((browser) => browser.close().catch(() => {})));
    console.log(`delay-forwarder: ${await delayPath.close()}`);
    await rm(work, { recursive: true, force: true });
  }

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, ${chromiumVersion} (headless)`;
  const load = `load average ${loadAtStart} at the start, ${loadAverage()} at the end`;
  const report = [
    `Raw pump across a path with round-trip time (delay-forwarder.c), ${size / MiB} MiB per round, median MB/s of ${rounds} rounds:`,
    '',
    table(runs, measuredRtt),
    '',
    `${machine}; ${load}.`,
    '',
  ].join('\n');
  console.log(`\n${report}`);
  await mkdir(args.out, { recursive: true });
  await writeFile(path.join(args.out, 'rtt.md'), report);
  await writeFile(path.join(args.out, 'rtt.json'), `${JSON.stringify({ machine, load, size, rounds, measuredRttMs: Object.fromEntries(measuredRtt), runs }, null, 2)}\n`);
  console.log(`wrote rtt.md and rtt.json to ${args.out}`);
}

await main();
