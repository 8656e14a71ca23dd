/** Figures of `npm run bench:broker`: what one step measured, the Markdown table, the extrapolation and the chart. */
import type { BenchSettings } from './broker-bench.ts';
import type { LoopDelay } from './broker-calls.ts';
import type { OtherLoad } from './broker-machine.ts';
import type { RegistryCost } from './broker-registry.ts';
import { escape, median } from './report.ts';

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface Idle {
  seconds: number;
  /** The broker process's CPU ms per second (1,000 = one core). */
  cpuMsPerSecond: number;
  loop: LoopDelay;
  /** All client workers together, for scale: they share the machine's cores with the broker. */
  clientsCpuMsPerSecond: number;
}

/** Everything measured with `peers` clients held open. */
export interface Step {
  peers: number;
  /** Clients opened to get here from the step before, and how long until every OPEN arrived. */
  added: number;
  connectMs: number;
  /** The broker's CPU ms per second while they connected (1,000 = one core busy). */
  connectCpuMsPerSecond: number;
  /** Connects answered 429 and retried: zero unless the per-address limits bit. */
  retried: number;
  /** After a full collection. */
  memory: Memory;
  /** The machine's slab and TCP buffer memory: both ends of every connection. */
  kernel: number;
  idle: Idle;
  /** `loop` is the broker's; `clientsLoopP99` the worst of the workers', which time the OFFERs. */
  offers: { sent: number; lost: number; p50: number; p99: number; max: number; loop: LoopDelay; clientsLoopP99: number };
  setups: { done: number; failed: number; perSecond: number; p50: number; p99: number; loop: LoopDelay; cpuMsPerSecond: number };
  /** Clients closed by the broker since the start. */
  dropped: number;
  /** CPU taken by anything but the bench during the step. */
  elsewhere: OtherLoad;
}

export interface BrokerResults {
  date: string;
  machine: Record<string, unknown>;
  settings: BenchSettings;
  /** The broker with no clients. */
  empty: { memory: Memory; kernel: number; idle: Idle };
  steps: Step[];
  /** Why the run stopped short of its largest size, if it did. */
  stoppedBy?: string;
  registry: RegistryCost[];
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The targets at 10,000 idle peers (docs/benchmarks.md). */
export const OFFER_P99_TARGET_MS = 50;
export const LOOP_P99_TARGET_MS = 20;

/** PeerJS's pingInterval. */
const HEARTBEAT_SECONDS = 5;
const KiB = 1024;
const MiB = 1024 * KiB;
const perPeer = (results: BrokerResults, step: Step, pick: (memory: Memory) => number) =>
  (pick(step.memory) - pick(results.empty.memory)) / step.peers;
/** Broker CPU ms per connect, and per setup: what a core of its own would do, whatever the clients took. */
const cpuPerConnect = (step: Step) => (step.connectCpuMsPerSecond * step.connectMs) / 1000 / step.added;
const cpuPerSetup = (step: Step) => step.setups.cpuMsPerSecond / step.setups.perSecond;
const whole = (value: number) => Math.round(value).toLocaleString('en');
const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

export function brokerTable(results: BrokerResults): string {
  const header = [
    'Peers',
    'RSS MiB',
    'RSS / peer KiB',
    'Heap / peer KiB',
    'Connects/s (broker CPU ms each)',
    'Setups/s (broker CPU ms each)',
    'OFFER p50 / p99 ms',
    'Loop p99 idle / setups ms',
    'Idle CPU, % of a core',
    'CPU elsewhere / steal ms/s',
  ];
  const rows = [
    ['0', (results.empty.memory.rss / MiB).toFixed(0), '', '', '', '', '', `${ms(results.empty.idle.loop.p99)} / –`, (results.empty.idle.cpuMsPerSecond / 10).toFixed(1), ''],
    ...results.steps.map((step) => [
      whole(step.peers),
      (step.memory.rss / MiB).toFixed(0),
      (perPeer(results, step, (m) => m.rss) / KiB).toFixed(1),
      (perPeer(results, step, (m) => m.heapUsed) / KiB).toFixed(1),
      `${whole(step.added / (step.connectMs / 1000))} (${cpuPerConnect(step).toFixed(2)})`,
      `${whole(step.setups.perSecond)} (${cpuPerSetup(step).toFixed(2)})`,
      `${ms(step.offers.p50)} / ${ms(step.offers.p99)}`,
      `${ms(step.idle.loop.p99)} / ${ms(step.setups.loop.p99)}`,
      (step.idle.cpuMsPerSecond / 10).toFixed(1),
      `${whole(step.elsewhere.othersMsPerSecond)} / ${whole(step.elsewhere.stealMsPerSecond)}`,
    ]),
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---:')), ...rows.map(line)].join('\n');
}

/** Whether the step with 10,000 peers (or the first beyond) met the targets. */
export function targetsLine(results: BrokerResults): string {
  const step = results.steps.find((candidate) => candidate.peers >= 10_000);
  if (!step) return 'Targets: no step reached 10,000 peers.';
  const verdict = (value: number, target: number) => `${ms(value)} ms, target < ${target}: ${value < target ? 'met' : 'NOT met'}`;
  return (
    `Targets at ${whole(step.peers)} idle peers: OFFER p99 ${verdict(step.offers.p99, OFFER_P99_TARGET_MS)}; ` +
    `event-loop p99 ${verdict(step.idle.loop.p99, LOOP_P99_TARGET_MS)}`
  );
}

/** Least squares: y ≈ intercept + slope × x. */
function fit(points: [number, number][]): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}

/** `peers` clients in one process, extrapolated along straight lines through the measured steps. */
export function extrapolate(results: BrokerResults, peers: number): string {
  const withEmpty = (pick: (step: Step | BrokerResults['empty']) => number): [number, number][] => [
    [0, pick(results.empty)],
    ...results.steps.map((step): [number, number] => [step.peers, pick(step)]),
  ];
  const rss = fit(withEmpty((s) => s.memory.rss));
  const heap = fit(withEmpty((s) => s.memory.heapUsed));
  const kernel = fit(withEmpty((s) => s.kernel));
  const cpu = fit(withEmpty((s) => s.idle.cpuMsPerSecond));
  const copyAt = (clients: number) => results.registry.find((cost) => cost.clients === clients)?.copyMs ?? 0;
  // A connect's own work does not grow with the count; `peer`'s registry copy does, and is timed apart.
  const connectBase = median(results.steps.map((step) => cpuPerConnect(step) - copyAt(step.peers)));
  const registry = results.registry.find((cost) => cost.clients === peers);
  const lines = [
    `Extrapolated to ${whole(peers)} peers in one process (straight lines through 0–${whole(results.steps.at(-1)?.peers ?? 0)}):`,
    `- RSS ${whole((rss.intercept + rss.slope * peers) / MiB)} MiB (${(rss.slope / KiB).toFixed(1)} KiB per peer), ` +
      `of it JS heap ${whole((heap.intercept + heap.slope * peers) / MiB)} MiB (${(heap.slope / KiB).toFixed(1)} KiB per peer)`,
    `- kernel memory, both ends of each connection: ${(kernel.slope / KiB).toFixed(1)} KiB per peer, ${whole((kernel.slope * peers) / MiB)} MiB`,
    `- idle CPU ${(cpu.intercept + cpu.slope * peers).toFixed(0)} ms/s (${(cpu.slope * 1000).toFixed(1)} µs per peer per second; ` +
      `${whole(peers / HEARTBEAT_SECONDS)} heartbeats/s)`,
  ];
  if (registry) {
    const connect = connectBase + registry.copyMs;
    lines.push(
      `- one connect ${connect.toFixed(2)} ms of broker CPU (${connectBase.toFixed(2)} ms + \`peer\`'s registry copy ${registry.copyMs.toFixed(2)} ms), ` +
        `${whole(1000 / connect)} connects/s per core`,
      `- \`peer\`'s 300 ms check ${registry.checkMs.toFixed(1)} ms (${((registry.checkMs / 300) * 100).toFixed(1)}% of a core, ` +
        `the event loop blocked that long each time); the guard's 1 s sweep ${registry.ownersSweepMs.toFixed(1)} ms`,
    );
  }
  return lines.join('\n');
}

export function registryTable(costs: RegistryCost[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['Clients', 'Registry copy (each connect) ms', 'checkConnections (every 300 ms) ms', 'IdOwners.sweep (every 1 s) ms']),
    line(['---:', '---:', '---:', '---:']),
    ...costs.map((cost) => line([whole(cost.clients), cost.copyMs.toFixed(3), cost.checkMs.toFixed(3), cost.ownersSweepMs.toFixed(3)])),
  ].join('\n');
}

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
}

/** 1, 2 or 5 times a power of ten, at least `value`. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((nice) => nice >= value)!;
}

/** A horizontal dashed line: a target the series should stay under. */
interface Target {
  value: number;
  label: string;
  colour: string;
}

/** One small line chart: peers across, `unit` up. */
function panel(left: number, title: string, unit: string, series: Series[], maxPeers: number, targets: Target[] = []): string {
  const [top, width, height] = [44, 190, 170];
  const yMax = niceCeiling(Math.max(...series.flatMap((s) => s.points.map(([, y]) => y)), ...targets.map((t) => t.value)));
  const x = (peers: number) => left + (peers / maxPeers) * width;
  const y = (value: number) => top + height - (value / yMax) * height;
  const parts = [
    `<text x="${left}" y="${top - 22}" class="title">${escape(title)}</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${top + height}" class="axis"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + height}" class="axis"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end">${yMax}</text>`,
    `<text x="${left - 6}" y="${top + height / 2 + 4}" text-anchor="end">${yMax / 2}</text>`,
    `<text x="${left - 6}" y="${top + height + 4}" text-anchor="end">0</text>`,
    `<text x="${left - 34}" y="${top + height / 2}" transform="rotate(-90 ${left - 34} ${top + height / 2})" text-anchor="middle">${escape(unit)}</text>`,
    `<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle">peers held, thousands</text>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const peers = maxPeers * fraction;
    parts.push(`<text x="${x(peers)}" y="${top + height + 16}" text-anchor="middle">${+(peers / 1000).toFixed(1)}</text>`);
  }
  for (const target of targets) {
    parts.push(
      `<line x1="${left}" y1="${y(target.value).toFixed(1)}" x2="${left + width}" y2="${y(target.value).toFixed(1)}" stroke="${target.colour}" stroke-dasharray="4 3"/>`,
      `<text x="${left + width}" y="${(y(target.value) - 4).toFixed(1)}" text-anchor="end" style="fill:${target.colour}" class="legend">${escape(target.label)}</text>`,
    );
  }
  series.forEach((s, index) => {
    const path = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const [px, py] of s.points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    if (series.length > 1) {
      parts.push(`<text x="${left + 8}" y="${top + 14 + 16 * index}" style="fill:${s.colour}" class="legend">${escape(s.name)}</text>`);
    }
  });
  return parts.join('\n');
}

/** Three panels against the number of peers: the broker's RSS, its idle CPU, and the p99 delays. */
export function brokerChart(results: BrokerResults, caption: string): string {
  const steps = results.steps;
  const maxPeers = niceCeiling(Math.max(...steps.map((step) => step.peers)));
  const from = (pick: (step: Step) => number, empty?: number): [number, number][] => [
    ...(empty === undefined ? [] : [[0, empty] as [number, number]]),
    ...steps.map((step): [number, number] => [step.peers, pick(step)]),
  ];
  const [width, height] = [780, 290];
  const panels = [
    panel(60, 'Broker RSS after GC', 'MiB', [{ name: 'RSS', colour: '#1f6feb', points: from((s) => s.memory.rss / MiB, results.empty.memory.rss / MiB) }], maxPeers),
    panel(320, 'Broker CPU, peers idle', '% of one core', [{ name: 'CPU', colour: '#d4a72c', points: from((s) => s.idle.cpuMsPerSecond / 10, results.empty.idle.cpuMsPerSecond / 10) }], maxPeers),
    panel(
      580,
      'p99 delays',
      'ms',
      [
        { name: 'OFFER delivery', colour: '#1f6feb', points: from((s) => s.offers.p99) },
        { name: 'event loop, idle', colour: '#8a8f98', points: from((s) => s.idle.loop.p99, results.empty.idle.loop.p99) },
      ],
      maxPeers,
      [
        { value: OFFER_P99_TARGET_MS, label: 'OFFER target', colour: '#1f6feb' },
        { value: LOOP_P99_TARGET_MS, label: 'loop target', colour: '#8a8f98' },
      ],
    ),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<style>text{fill:#24292f}.title{font-weight:600;font-size:13px}.axis{stroke:#24292f;stroke-width:1}.legend{font-size:11px}.caption{fill:#57606a;font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
${panels.join('\n')}
<text x="12" y="${height - 8}" class="caption">${escape(caption)}</text>
</svg>
`;
}
