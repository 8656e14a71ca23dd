/**
 * `npm run bench`: Ferry's throughput beside the raw data channel and beside PeerJS
 * with its defaults, between the same two Chromium instances, in alternating rounds;
 * then the same over a link narrowed to 100 Mbit/s; then the receiver's memory over
 * one large transfer; then Ferry across emulated NATs, direct and through a coturn
 * relay (paths.ts). Prints the figures and writes results.json, results.md and
 * throughput.svg to --out (docs/bench by default).
 *
 * The receiver's browser lives in a network namespace of its own behind a veth
 * pair, so every byte crosses a real link that tc can narrow. Both browsers keep
 * their profiles on disk, so Ferry's receiver stores to disk as it would for a
 * person, not to the in-memory storage of an off-the-record context.
 *
 * Runs inside the private network namespace: use `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { startServer } from '../../signal-server/server.ts';
import { launchIsolatedProfileBrowser, launchProfileBrowser } from '../e2e/browsers.ts';
import { MiB, randomFixture, type Fixture } from '../e2e/fixtures.ts';
import { openPathBench, PATH_LINKS, type Browsers } from './paths.ts';
import type { Arrival } from './page/contenders.ts';
import { contendersScript } from './page/build.ts';
import { topSelfTime } from './profile.ts';
import { startCpuCount } from './cpu-cost.ts';
import { ferryRound, type FerrySite, type Profiles, type Timed } from './ferry-round.ts';
import { rawRound } from './raw-round.ts';
import { withTimeout } from './timeout.ts';
import { browserPid, pinTree, treeUsage, type TreeUsage } from './processes.ts';
import { summarizeTrace, timelineChart, traceTable, type Trace } from './timeline.ts';
import {
  chart,
  CONTENDERS,
  LABELS,
  mbps,
  median,
  memoryTable,
  mib,
  cpuTable,
  cpuPerGiBTable,
  pathsTable,
  ratio,
  summarize,
  throughputTable,
  type Contender,
  type CpuLoad,
  type LinkKind,
  type Memory,
  type Run,
} from './report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    'narrow-size': { type: 'string', default: '96' },
    'narrow-rounds': { type: 'string', default: '3' },
    'memory-size': { type: 'string', default: '1024' },
    'path-rounds': { type: 'string', default: '2' },
    /** Files of 1 KiB in the many-files round (0 skips it), timed beside one 10 MB file. */
    'many-files': { type: 'string', default: '10000' },
    out: { type: 'string', default: path.join(ROOT, 'docs/bench') },
    smoke: { type: 'boolean', default: false },
    /** Each browser pinned to a core of its own (taskset), as on two single-core devices. */
    pin: { type: 'boolean', default: false },
    /** What the extra, profiled Ferry round sends: 'file' (one of --narrow-size MiB) or 'many' (the many small files). */
    profile: { type: 'string', default: 'file' },
    /** Comma-separated contenders to run (for tuning); all by default. */
    only: { type: 'string', default: CONTENDERS.join(',') },
  },
});

// The smoke run only proves the bench still works: a few MiB, one round, no figures kept.
const smoke = args.smoke;
const settings = {
  size: Number(smoke ? 4 : args.size) * MiB,
  rounds: smoke ? 1 : Number(args.rounds),
  narrowSize: Number(smoke ? 2 : args['narrow-size']) * MiB,
  narrowRounds: smoke ? 1 : Number(args['narrow-rounds']),
  memorySize: Number(smoke ? 4 : args['memory-size']) * MiB,
  /** Rounds of Ferry across NATs, direct and relayed (of the narrow-size file). */
  pathRounds: smoke ? 1 : Number(args['path-rounds']),
  manyFiles: smoke ? 20 : Number(args['many-files']),
};
const chosen = CONTENDERS.filter((contender) => args.only.split(',').includes(contender));
const FULL_LINK: LinkKind = { name: 'veth, no limit', rate: null, bitsPerSecond: null };
const NARROW_LINK: LinkKind = { name: 'veth limited to 100 Mbit/s (tbf)', rate: '100mbit', bitsPerSecond: 100e6 };
/** Each link, with the file size and rounds measured on it. */
const LINKS = [
  { link: FULL_LINK, size: settings.size, rounds: settings.rounds },
  { link: NARROW_LINK, size: settings.narrowSize, rounds: settings.narrowRounds },
];
/** A round that takes longer than this has hung. */
const ROUND_TIMEOUT_MS = 30 * 60_000;
const SAMPLE_MS = 250;
const chromiumVersion = execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();

const host = process.env.FERRY_TEST_HOST;
if (!host) {
  console.error('The benchmark runs inside a private network namespace: use `npm run bench`.');
  process.exit(2);
}

/** One transfer of `file` by `contender`, with memory sampled throughout. */
async function measure(browsers: Browsers, contender: Contender, file: Fixture | FileSet, link: string, round: number, profiles?: Profiles): Promise<Run> {
  const [sender, receiver] = await Promise.all([browsers.sender.newPage(), browsers.receiver.newPage()]);
  const sampler = await Sampler.start(browsers, sender, receiver);
  // The whole round, page loads included: what moving the file costs, not only its bytes' passage.
  const cpuSpent = await startCpuCount(browsers.senderPid, browsers.receiverPid);
  try {
    const timed = await withTimeout(
      contender === 'ferry'
        ? ferry(browsers, sender, receiver, file, profiles)
        : 'paths' in file
          ? Promise.reject(new Error('only Ferry sends several files'))
          : contender === 'raw'
            ? raw(browsers, sender, receiver, file)
            : peerjs(browsers, sender, receiver, file),
      `${contender} round ${round + 1}`,
      ROUND_TIMEOUT_MS,
    );
    const { memory, cpu } = sampler.stop(timed.firstAt, timed.lastAt);
    return {
      contender,
      link,
      round,
      bytes: file.size,
      seconds: (timed.lastAt - timed.firstAt) / 1000,
      ...(timed.listedMs !== undefined && { listedMs: timed.listedMs, firstByteMs: timed.firstByteMs, downloadMs: timed.downloadMs }),
      ...('paths' in file && { files: file.paths.length }),
      ...(timed.path && { path: timed.path }),
      memory,
      cpu,
      cpuSpent: await cpuSpent(),
    };
  } finally {
    sampler.stop(0, Infinity);
    // Off Ferry's pages first: a save the page still had scheduled must not land after the clearing.
    await Promise.all([sender, receiver].map((page) => page.goto('about:blank').catch(() => {})));
    await forget(browsers, [sender, receiver]);
    await Promise.all([sender.close(), receiver.close()]);
  }
}

/** Many small files, picked together. */
interface FileSet {
  paths: string[];
  /** All of them together, in bytes. */
  size: number;
}

const SMALL_FILE_BYTES = 1024;
/** The single file the many small ones are timed beside. */
const TEN_MB = 10_000_000;

async function smallFiles(dir: string, count: number): Promise<FileSet> {
  const folder = path.join(dir, `small-${count}`);
  await mkdir(folder, { recursive: true });
  const paths = Array.from({ length: count }, (_, i) => path.join(folder, `${String(i).padStart(5, '0')}.bin`));
  for (let i = 0; i < count; i += 500) {
    await Promise.all(paths.slice(i, i + 500).map((file) => writeFile(file, randomBytes(SMALL_FILE_BYTES))));
  }
  return { paths, size: count * SMALL_FILE_BYTES };
}

/** The contenders' page, served beside Ferry's (so PeerJS reaches the same broker). */
async function contenderPage(page: Page, { origin }: Browsers): Promise<void> {
  await page.goto(`${origin}/bench/`);
  await page.waitForFunction(() => typeof contenders === 'object');
}

async function raw(browsers: Browsers, sender: Page, receiver: Page, file: Fixture): Promise<Timed> {
  await Promise.all([contenderPage(sender, browsers), contenderPage(receiver, browsers)]);
  return rawRound(sender, receiver, file);
}

async function peerjs(browsers: Browsers, sender: Page, receiver: Page, file: Fixture): Promise<Timed> {
  await Promise.all([contenderPage(sender, browsers), contenderPage(receiver, browsers)]);
  await sender.locator('#bench-file').setInputFiles(file.path);
  const id = await sender.evaluate(() => contenders.peerjsListen());
  await receiver.evaluate(([id, size]) => contenders.peerjsReceive(id, size), [id, file.size] as const);
  const arrival: Arrival = await receiver.evaluate(() => contenders.received());
  return arrival;
}

/** The timeline of the last Ferry round (timeline.ts). */
let lastTrace: Trace | null = null;

/** Ferry as a person uses it (ferry-round.ts), keeping its timeline in lastTrace. */
async function ferry(site: FerrySite, sender: Page, receiver: Page, file: Fixture | FileSet, profiles?: Profiles): Promise<Timed> {
  lastTrace = null;
  const { timed, trace } = await ferryRound(site, sender, receiver, 'paths' in file ? file.paths : file.path, { timeoutMs: ROUND_TIMEOUT_MS, profiles });
  lastTrace = trace;
  return timed;
}

/**
 * A copy of the built app with the contenders' page added under /bench/, served by
 * Ferry's own server: a real page on the same origin, under the same headers (a
 * page faked by request interception counts as a public address, and Chromium then
 * blocks its requests to the broker's private one).
 */
async function siteWithBenchPage(work: string, script: string): Promise<string> {
  const site = path.join(work, 'site');
  await cp(path.join(ROOT, 'dist'), site, { recursive: true });
  await mkdir(path.join(site, 'bench'));
  await writeFile(path.join(site, 'bench', 'contenders.js'), script);
  await writeFile(
    path.join(site, 'bench', 'index.html'),
    '<!doctype html><title>Ferry bench</title><input type="file" id="bench-file"><script src="contenders.js"></script>\n',
  );
  return site;
}

/**
 * Clears what a round left on Ferry's origin in both browsers (OPFS, IndexedDB, the
 * service worker, which would otherwise answer the next round's blank page), so
 * every round starts alike.
 */
async function forget({ origin }: Browsers, pages: Page[]): Promise<void> {
  for (const page of pages) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
    await cdp.detach();
  }
}

/** Samples both browsers' RSS and CPU time and both pages' heaps every SAMPLE_MS. */
class Sampler {
  readonly #samples: { at: number; sender: TreeUsage; receiver: TreeUsage; heaps: number[] }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #stopped = false;

  private constructor(
    private readonly browsers: Browsers,
    private readonly sessions: CDPSession[],
  ) {}

  static async start(browsers: Browsers, sender: Page, receiver: Page): Promise<Sampler> {
    const sessions = await Promise.all([browsers.sender.newCDPSession(sender), browsers.receiver.newCDPSession(receiver)]);
    const sampler = new Sampler(browsers, sessions);
    sampler.#timer = setInterval(() => void sampler.#sample(), SAMPLE_MS);
    return sampler;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      // The page's main thread only (Ferry's storage worker is not included: RSS covers it).
      // ArrayBuffers live outside the JS heap proper: count them, or buffered file bytes would not show.
      const heap = (session: CDPSession) =>
        session.send('Runtime.getHeapUsage').then(
          (usage) => usage.usedSize + usage.backingStorageSize,
          () => 0, // between navigations
        );
      const [sender, receiver, ...heaps] = await Promise.all([
        treeUsage(this.browsers.senderPid),
        treeUsage(this.browsers.receiverPid),
        heap(this.sessions[0]!),
        heap(this.sessions[1]!),
      ]);
      this.#samples.push({ at: Date.now(), sender, receiver, heaps });
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Stops sampling (again, harmlessly). Each figure between the first byte (`from`)
   * and the last (`to`, plus the sample after it): its value at the start, its peak,
   * the CPU load.
   */
  stop(from: number, to: number): { memory: Memory; cpu: CpuLoad } {
    clearInterval(this.#timer);
    if (!this.#stopped) for (const session of this.sessions) void session.detach().catch(() => {});
    this.#stopped = true;
    const end = this.#samples.findIndex((sample) => sample.at > to);
    const during = this.#samples.slice(0, end === -1 ? undefined : end + 1).filter((sample) => sample.at >= from);
    const samples = during.length > 0 ? during : this.#samples.slice(-1);
    const first = samples[0];
    const last = samples.at(-1);
    const tenth = first && last ? samples.find((sample) => sample.at >= first.at + (last.at - first.at) / 10) : undefined;
    const peak = (pick: (sample: (typeof samples)[number]) => number) => ({
      start: first ? pick(first) : 0,
      tenth: tenth ? pick(tenth) : 0,
      peak: Math.max(0, ...samples.map(pick)),
    });
    const kinds = new Set(samples.flatMap((sample) => Object.keys(sample.receiver.rssByKind)));
    const seconds = first && last && last.at > first.at ? (last.at - first.at) / 1000 : NaN;
    return {
      memory: {
        senderRss: peak((s) => s.sender.rss),
        receiverRss: peak((s) => s.receiver.rss),
        senderHeap: peak((s) => s.heaps[0]!),
        receiverHeap: peak((s) => s.heaps[1]!),
        receiverRssByKind: Object.fromEntries([...kinds].map((kind) => [kind, peak((s) => s.receiver.rssByKind[kind] ?? 0)])),
      },
      cpu: {
        sender: first && last ? (last.sender.cpu - first.sender.cpu) / seconds : NaN,
        receiver: first && last ? (last.receiver.cpu - first.receiver.cpu) / seconds : NaN,
        senderByKind: first && last ? perSecond(first.sender.cpuByKind, last.sender.cpuByKind, seconds) : {},
        receiverByKind: first && last ? perSecond(first.receiver.cpuByKind, last.receiver.cpuByKind, seconds) : {},
      },
    };
  }
}

/** CPU seconds per second between two readings, by kind (a process born in between counts from zero). */
function perSecond(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([kind, cpu]) => [kind, Math.max(0, cpu - (before[kind] ?? 0)) / seconds]));
}

function describe(run: Run): string {
  const setup = run.firstByteMs !== undefined ? `, link open → list ${run.listedMs!.toFixed(0)} ms → first byte ${run.firstByteMs.toFixed(0)} ms` : '';
  return `${run.link} · round ${run.round + 1} · ${LABELS[run.contender]}: ${run.bytes / MiB} MiB in ${run.seconds.toFixed(2)} s = ${mbps(run).toFixed(1)} MB/s${setup}`;
}

function render(runs: Run[], memoryRun: Run, profiles: Profiles, pathRuns: Run[], timeline: { run: Run; trace: Trace } | undefined, manyRuns: Run[], manyTrace: Trace | null): string {
  const sections: string[] = [`Machine: ${machineLine()}`];
  for (const { link, size } of LINKS) {
    const summaries = summarize(runs, link.name);
    const overRaw = ratio(summaries, 'raw');
    const overPeerjs = ratio(summaries, 'peerjs');
    sections.push(
      `### ${link.name}: ${size / MiB} MiB file, ${summaries[0]?.rounds ?? 0} rounds`,
      throughputTable(summaries, link),
      `Ferry / raw pump: **${times(overRaw)}** · Ferry / PeerJS defaults: **${times(overPeerjs)}** (medians of this run)`,
      "CPU seconds per GiB moved, each browser's whole process tree (medians of the rounds above): over the whole round, page loads included, and while the bytes flowed:",
      cpuPerGiBTable(runs.filter((run) => run.link === link.name)),
    );
  }
  if (timeline) {
    sections.push(
      `### Where Ferry waits: the timeline of its median round without a limit (round ${timeline.run.round + 1}, ${mbps(timeline.run).toFixed(1)} MB/s)`,
      'Shares are of the time from the first byte to the last; spans under 0.1 ms are not counted. timeline.svg shows 2 s of it.',
      traceTable(summarizeTrace(timeline.trace)),
    );
  }
  const ferryRuns = runs.filter((run) => run.contender === 'ferry' && run.firstByteMs !== undefined);
  sections.push(
    `### Link opened → first byte (Ferry, ${ferryRuns.length} rounds, both links)`,
    `Median ${median(ferryRuns.map((run) => run.firstByteMs!)).toFixed(0)} ms (range ${Math.min(...ferryRuns.map((r) => r.firstByteMs!)).toFixed(0)}–${Math.max(...ferryRuns.map((r) => r.firstByteMs!)).toFixed(0)} ms); ` +
      `the file list showed after a median ${median(ferryRuns.map((run) => run.listedMs!)).toFixed(0)} ms and Download was pressed at once.`,
    `### Memory and CPU during the rounds without a limit`
      + '\n\nPeak MiB, with the growth from the first byte in parentheses; heap = the page main thread\'s JS heap + ArrayBuffers; CPU = CPU seconds per second (2.00 = both cores), median.',
    memoryTable(runs.filter((run) => run.link === FULL_LINK.name)),
    `### Where the CPU went during the rounds without a limit`,
    'CPU seconds per second of transfer, by kind of Chromium process (median over rounds).',
    cpuTable(runs.filter((run) => run.link === FULL_LINK.name)),
    `### Ferry's receiver over one ${memoryRun.bytes / MiB} MiB transfer`,
    `${mbps(memoryRun).toFixed(1)} MB/s. JS heap ${mib(memoryRun.memory.receiverHeap.start)} MiB at the first byte, peak ${mib(memoryRun.memory.receiverHeap.peak)} MiB: ` +
      `**+${mib(memoryRun.memory.receiverHeap.peak - memoryRun.memory.receiverHeap.start)} MiB**. ` +
      `Browser RSS ${mib(memoryRun.memory.receiverRss.start)} → peak ${mib(memoryRun.memory.receiverRss.peak)} MiB: ` +
      `**+${mib(memoryRun.memory.receiverRss.peak - memoryRun.memory.receiverRss.start)} MiB**; ` +
      `from a tenth of the way on (after the warm-up): heap **+${mib(memoryRun.memory.receiverHeap.peak - memoryRun.memory.receiverHeap.tenth)} MiB**, ` +
      `RSS **+${mib(memoryRun.memory.receiverRss.peak - memoryRun.memory.receiverRss.tenth)} MiB**.`,
    'The receiver\'s RSS by kind of process, MiB: at the first byte → a tenth of the way → peak.',
    Object.entries(memoryRun.memory.receiverRssByKind)
      .filter(([, p]) => p.peak >= MiB)
      .map(([kind, p]) => `- ${kind}: ${mib(p.start)} → ${mib(p.tenth)} → ${mib(p.peak)}`)
      .join('\n'),
  );
  if (manyRuns.length > 0) {
    sections.push(
      `### Many small files (Ferry): Download pressed → every file stored and verified`,
      ['| What | Files | Seconds | Files/s | MB/s |', '| --- | ---: | ---: | ---: | ---: |', ...manyRuns.map((run) => {
        const seconds = run.downloadMs! / 1000;
        const files = run.files ?? 1;
        const what = run.files ? `${files.toLocaleString('en')} files of ${SMALL_FILE_BYTES / 1024} KiB` : `one file of ${run.bytes / 1e6} MB`;
        return `| ${what} | ${files} | ${seconds.toFixed(2)} | ${(files / seconds).toFixed(0)} | ${(run.bytes / 1e6 / seconds).toFixed(2)} |`;
      })].join('\n'),
    );
    if (manyTrace) sections.push('Where the round of many files waits, as in the timeline above:', traceTable(summarizeTrace(manyTrace)));
  }
  if (pathRuns.length > 0) {
    sections.push(
      `### Ferry across NATs: direct (Ferry's STUN) and relayed (coturn), ${pathRuns[0]!.bytes / MiB} MiB file`,
      'Each pair of browsers sits in two homes behind NAT routers (network-lab.ts); the path is what the receiver showed.',
      pathsTable(pathRuns, [PATH_LINKS.direct, PATH_LINKS.relay]),
    );
  }
  for (const side of ['sender', 'receiver'] as const) {
    const profile = profiles[side];
    if (!profile) continue;
    const rows = topSelfTime(profile, 10).map((f) => `| ${f.name} | ${f.where} | ${f.ms.toFixed(0)} | ${(f.share * 100).toFixed(1)}% |`);
    sections.push(
      `### Ferry's ${side} page, main thread: most self time (CPU profile of one extra round, ferry-${side}.cpuprofile)`,
      ['| Function | Where | ms | Share |', '| --- | --- | ---: | ---: |', ...rows].join('\n'),
    );
  }
  return `${sections.join('\n\n')}\n`;
}

const times = (ratio: number | null) => (ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`);

function machine() {
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory: os.totalmem(), kernel: os.release(), node: process.version };
}

function machineLine(): string {
  const { cpus, cpu, memory } = machine();
  const pinned = args.pin ? ', each browser pinned to a core of its own' : '';
  return `${cpus} × ${cpu ?? 'CPU'}, ${(memory / 1024 ** 3).toFixed(0)} GiB, ${chromiumVersion} (headless)${pinned}`;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-'));
  const script = await contendersScript();
  const site = await siteWithBenchPage(work, script);
  const server = await startServer({ host: host!, port: 0, iceServers: [], staticDir: site }, { log: (m) => console.error(m) });
  const origin = server.url.replace(/\/$/, '');
  let senderContext: BrowserContext | undefined;
  let receiverContext: BrowserContext | undefined;

  try {
    const senderProfile = path.join(work, 'sender-profile');
    const receiverProfile = path.join(work, 'receiver-profile');
    let receiverLink: Awaited<ReturnType<typeof launchIsolatedProfileBrowser>>;
    [senderContext, receiverLink] = await Promise.all([
      launchProfileBrowser(senderProfile, origin),
      launchIsolatedProfileBrowser(work, receiverProfile, origin),
    ]);
    receiverContext = receiverLink.context;
    const browsers: Browsers = {
      origin,
      sender: senderContext,
      receiver: receiverContext,
      senderPid: await browserPid(senderProfile),
      receiverPid: await browserPid(receiverProfile),
      script,
    };
    if (args.pin) await Promise.all([pinTree(browsers.senderPid, 0), pinTree(browsers.receiverPid, 1)]);

    const runs: Run[] = [];
    /** Ferry's rounds on the link with no limit, with their timelines. */
    const traced: { run: Run; trace: Trace }[] = [];
    const fixtures = new Map<number, Fixture>();
    const fixture = async (size: number) => {
      if (!fixtures.has(size)) fixtures.set(size, await randomFixture(work, `bench-${size}.bin`, size));
      return fixtures.get(size)!;
    };

    for (const { link, size, rounds } of LINKS) {
      if (rounds === 0) continue;
      await receiverLink.shape(link.rate);
      const file = await fixture(size);
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so no contender always meets a warmer machine.
        const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]!);
        for (const contender of order) {
          const run = await measure(browsers, contender, file, link.name, round);
          runs.push(run);
          if (contender === 'ferry' && lastTrace && link === FULL_LINK) traced.push({ run, trace: lastTrace });
          console.log(describe(run));
        }
      }
    }
    await receiverLink.shape(null);

    const large = await fixture(settings.memorySize);
    const memoryRun = await measure(browsers, 'ferry', large, FULL_LINK.name, 0);
    console.log(describe(memoryRun));

    // Many small files, and one file of about the same bytes as 10,000 of them, each from Download to done.
    const manyRuns: Run[] = [];
    let manyTrace: Trace | null = null;
    if (settings.manyFiles > 0) {
      for (const files of [await smallFiles(work, settings.manyFiles), await fixture(TEN_MB)]) {
        const run = await measure(browsers, 'ferry', files, FULL_LINK.name, 0);
        manyTrace ??= lastTrace;
        manyRuns.push(run);
        console.log(`${describe(run)}, Download → done ${(run.downloadMs! / 1000).toFixed(2)} s`);
      }
    }

    // Profiling slows a page down, so the profiled round is extra and its speed is not counted.
    const profiles: Profiles = {};
    const profiledFiles = args.profile === 'many' && settings.manyFiles > 0 ? await smallFiles(work, settings.manyFiles) : await fixture(settings.narrowSize);
    const profiled = await measure(browsers, 'ferry', profiledFiles, FULL_LINK.name, 0, profiles);
    console.log(`${describe(profiled)} (profiled)`);

    // Across NATs last: its own server and browsers, in the lab's namespaces.
    const pathRuns: Run[] = [];
    if (settings.pathRounds > 0) {
      const paths = await openPathBench(work, site, script);
      try {
        const file = await fixture(settings.narrowSize);
        const pairs = [[PATH_LINKS.direct, paths.direct], [PATH_LINKS.relay, paths.relay]] as const;
        for (let round = 0; round < settings.pathRounds; round++) {
          for (const [name, pair] of round % 2 ? [...pairs].reverse() : pairs) {
            const run = await measure(pair, 'ferry', file, name, round);
            pathRuns.push(run);
            console.log(`${describe(run)}, path ${run.path ?? 'not shown'}`);
          }
        }
      } finally {
        await paths.close();
      }
    }

    // The round whose speed is the median's: the one the timeline shows.
    const middle = [...traced].sort((a, b) => a.run.seconds - b.run.seconds)[Math.floor((traced.length - 1) / 2)];
    const report = render(runs, memoryRun, profiles, pathRuns, middle, manyRuns, manyTrace);
    console.log(`\n${report}`);
    if (!smoke) {
      await mkdir(args.out, { recursive: true });
      await writeFile(path.join(args.out, 'results.md'), report);
      for (const side of ['sender', 'receiver'] as const) {
        await writeFile(path.join(args.out, `ferry-${side}.cpuprofile`), JSON.stringify(profiles[side]));
      }
      await writeFile(path.join(args.out, 'results.json'), `${JSON.stringify({ machine: machine(), settings, runs, memoryRun, manyRuns, pathRuns }, null, 2)}\n`);
      await writeFile(
        path.join(args.out, 'throughput.svg'),
        chart(
          LINKS.map(({ link }) => ({ link, summaries: summarize(runs, link.name) })),
          `${machineLine()} · ${settings.size / MiB} MiB (no limit), ${settings.narrowSize / MiB} MiB (100 Mbit/s)`,
        ),
      );
      if (middle) {
        await writeFile(path.join(args.out, 'timeline.svg'), timelineChart(middle.trace, `${machineLine()} · ${middle.run.bytes / MiB} MiB, veth with no limit, ${mbps(middle.run).toFixed(1)} MB/s`));
      }
      console.log(`\nwrote results.md, results.json, throughput.svg and timeline.svg to ${args.out}`);
    }
  } finally {
    await Promise.all([senderContext?.close(), receiverContext?.close()]);
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
// The broker package keeps timers of its own running (message expiry, broken
// connection checks) and offers no way to stop them, so the process would not end.
process.exit(0);
