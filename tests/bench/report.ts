/** Figures from benchmark runs: summaries, the Markdown table and the SVG chart. */
import { MiB } from '../e2e/fixtures.ts';
import { perGiB, type CpuSpent } from './cpu-cost.ts';

export const CONTENDERS = ['raw', 'ferry', 'peerjs'] as const;
export type Contender = (typeof CONTENDERS)[number];

export const LABELS: Record<Contender, string> = {
  raw: 'Raw RTCDataChannel pump',
  ferry: 'Ferry',
  peerjs: 'PeerJS defaults',
};

/** Where a figure was taken: the veth as it is, or narrowed by tbf. */
export interface LinkKind {
  name: string;
  /** tc's rate, or null for no limit. */
  rate: string | null;
  /** Bits per second, when limited. */
  bitsPerSecond: number | null;
}

export interface Peak {
  /** At the first byte. */
  start: number;
  /** A tenth of the way through: after the warm-up (buffers, allocator pools) is over. */
  tenth: number;
  peak: number;
}

export interface Memory {
  senderRss: Peak;
  receiverRss: Peak;
  /** JS heap plus ArrayBuffer backing stores (where buffered file bytes would show). */
  senderHeap: Peak;
  receiverHeap: Peak;
  /** The receiver's RSS by kind of Chromium process. */
  receiverRssByKind: Record<string, Peak>;
}

/** CPU seconds each browser used per wall-clock second of the transfer (2 = both cores). */
export interface CpuLoad {
  sender: number;
  receiver: number;
  /** The same, by kind of Chromium process. */
  senderByKind: Record<string, number>;
  receiverByKind: Record<string, number>;
}

export interface Run {
  contender: Contender;
  link: string;
  round: number;
  bytes: number;
  /** From the receiver's first payload byte to its last (Ferry: to the file stored and verified). */
  seconds: number;
  /** Ferry only: the receiver's link opened → its file list shown → first byte, in ms. */
  listedMs?: number;
  firstByteMs?: number;
  /** Ferry only: Download pressed → every file stored and verified, in ms. */
  downloadMs?: number;
  /** Ferry only: how many files the round sent, when more than one. */
  files?: number;
  /** Ferry only: the connection path its receiver showed (local, direct, relay). */
  path?: string;
  memory: Memory;
  cpu: CpuLoad;
  /** CPU seconds each browser's process tree spent over the whole round (cpu-cost.ts). */
  cpuSpent: CpuSpent;
}

export const mbps = (run: Run) => run.bytes / 1e6 / run.seconds;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Summary {
  contender: Contender;
  link: string;
  rounds: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(runs: Run[], link: string): Summary[] {
  return CONTENDERS.flatMap((contender) => {
    const rates = runs.filter((run) => run.link === link && run.contender === contender).map(mbps);
    if (rates.length === 0) return [];
    return [{ contender, link, rounds: rates.length, median: median(rates), min: Math.min(...rates), max: Math.max(...rates) }];
  });
}

/** Bytes as whole MiB, for tables. */
export const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const rate = (value: number) => value.toFixed(1);

export function throughputTable(summaries: Summary[], link: LinkKind): string {
  const lineRate = link.bitsPerSecond ? link.bitsPerSecond / 8 / 1e6 : null;
  const header = ['Contender', 'Rounds', 'Median MB/s', 'Min–max MB/s', ...(lineRate ? ['Share of the link'] : [])];
  const rows = summaries.map((s) => [
    LABELS[s.contender],
    String(s.rounds),
    rate(s.median),
    `${rate(s.min)}–${rate(s.max)}`,
    ...(lineRate ? [`${((s.median / lineRate) * 100).toFixed(0)}%`] : []),
  ]);
  return markdownTable(header, rows);
}

/**
 * Ferry over each of `links` (ways across NATs): rate, time to first byte, the path
 * the receiver showed, and each one's rate over the first link's.
 */
export function pathsTable(runs: Run[], links: readonly string[]): string {
  const base = median(runs.filter((run) => run.link === links[0]).map(mbps));
  const rows = links.flatMap((link) => {
    const mine = runs.filter((run) => run.link === link);
    if (mine.length === 0) return [];
    const rates = mine.map(mbps);
    const paths = [...new Set(mine.map((run) => run.path ?? 'none shown'))].join(', ');
    return [[
      link,
      String(mine.length),
      rate(median(rates)),
      `${rate(Math.min(...rates))}–${rate(Math.max(...rates))}`,
      median(mine.map((run) => run.firstByteMs ?? NaN)).toFixed(0),
      paths,
      `${(median(rates) / base).toFixed(2)}×`,
    ]];
  });
  return markdownTable(['Path', 'Rounds', 'Median MB/s', 'Min–max MB/s', 'Link → first byte, median ms', 'Path shown', `Over the first`], rows);
}

/** Ferry's median over another contender's, both from this run. */
export function ratio(summaries: Summary[], over: Contender): number | null {
  const ferry = summaries.find((s) => s.contender === 'ferry');
  const other = summaries.find((s) => s.contender === over);
  return ferry && other ? ferry.median / other.median : null;
}

export function memoryTable(runs: Run[]): string {
  const rows = CONTENDERS.flatMap((contender) => {
    const mine = runs.filter((run) => run.contender === contender);
    if (mine.length === 0) return [];
    const peak = (pick: (m: Memory) => Peak) => mib(Math.max(...mine.map((run) => pick(run.memory).peak)));
    const growth = (pick: (m: Memory) => Peak) => mib(Math.max(...mine.map((run) => pick(run.memory).peak - pick(run.memory).start)));
    return [
      [
        LABELS[contender],
        `${peak((m) => m.senderRss)} (+${growth((m) => m.senderRss)})`,
        `${peak((m) => m.senderHeap)} (+${growth((m) => m.senderHeap)})`,
        `${peak((m) => m.receiverRss)} (+${growth((m) => m.receiverRss)})`,
        `${peak((m) => m.receiverHeap)} (+${growth((m) => m.receiverHeap)})`,
        median(mine.map((run) => run.cpu.sender)).toFixed(2),
        median(mine.map((run) => run.cpu.receiver)).toFixed(2),
      ],
    ];
  });
  return markdownTable(
    ['Contender', 'Sender RSS', 'Sender heap', 'Receiver RSS', 'Receiver heap', 'Sender CPU', 'Receiver CPU'],
    rows,
  );
}

/** Where each browser's CPU went, by kind of process: the median over rounds, per contender. */
export function cpuTable(runs: Run[]): string {
  const kindsOf = (pick: (cpu: CpuLoad) => Record<string, number>) =>
    new Set(runs.flatMap((run) => Object.entries(pick(run.cpu)).filter(([, load]) => load >= 0.01).map(([kind]) => kind)));
  const kinds = [...new Set([...kindsOf((c) => c.senderByKind), ...kindsOf((c) => c.receiverByKind)])].sort();
  const rows = CONTENDERS.flatMap((contender) => {
    const mine = runs.filter((run) => run.contender === contender);
    if (mine.length === 0) return [];
    return (['sender', 'receiver'] as const).map((side) => [
      `${LABELS[contender]}, ${side}`,
      ...kinds.map((kind) => median(mine.map((run) => run.cpu[`${side}ByKind`][kind] ?? 0)).toFixed(2)),
      median(mine.map((run) => run.cpu[side])).toFixed(2),
    ]);
  });
  return markdownTable(['Browser', ...kinds, 'all'], rows);
}

/** Issue 29's bound on Ferry's CPU per GiB, sender and receiver together, over the raw pump's. */
export const CPU_TARGET = 1.3;

type SideCost = { sender: number; receiver: number; both: number };

/**
 * Median CPU seconds per GiB moved of one contender's rounds, each side and both:
 * over the whole round (cpu-cost.ts: exact, but page loads and the sender's hashing
 * of the picked file count too, a fixed cost that weighs on small files), and while
 * the bytes flowed (the sampler's CPU load from the first byte to the last, times
 * that time: the cost per byte, to a 250 ms sample at each end).
 */
export function cpuPerGiB(runs: Run[], contender: Contender): { round: SideCost; flowing: SideCost } | null {
  const mine = runs.filter((run) => run.contender === contender);
  if (mine.length === 0) return null;
  const cost = (spent: (run: Run) => CpuSpent): SideCost => {
    const each = (pick: (spent: CpuSpent) => number) => median(mine.map((run) => perGiB(pick(spent(run)), run.bytes)));
    return { sender: each((s) => s.sender), receiver: each((s) => s.receiver), both: each((s) => s.sender + s.receiver) };
  };
  return {
    round: cost((run) => run.cpuSpent),
    flowing: cost((run) => ({ sender: run.cpu.sender * run.seconds, receiver: run.cpu.receiver * run.seconds })),
  };
}

/** CPU seconds per GiB for each contender on one link, and Ferry's sender + receiver over the raw pump's. */
export function cpuPerGiBTable(runs: Run[]): string {
  const costs = CONTENDERS.flatMap((contender) => {
    const cost = cpuPerGiB(runs, contender);
    return cost ? [{ contender, cost }] : [];
  });
  const cells = (cost: SideCost) => [cost.sender, cost.receiver, cost.both].map((seconds) => seconds.toFixed(1));
  const rows = costs.map(({ contender, cost }) => [
    LABELS[contender],
    String(runs.filter((run) => run.contender === contender).length),
    ...cells(cost.round),
    ...cells(cost.flowing),
  ]);
  const [ferry, raw] = [cpuPerGiB(runs, 'ferry'), cpuPerGiB(runs, 'raw')];
  const over = (pick: (cost: { round: SideCost; flowing: SideCost }) => SideCost) => {
    const [mine, base] = [pick(ferry!), pick(raw!)];
    return `**${(mine.both / base.both).toFixed(2)}×** (sender ${(mine.sender / base.sender).toFixed(2)}×, receiver ${(mine.receiver / base.receiver).toFixed(2)}×)`;
  };
  const verdict =
    ferry && raw
      ? `Ferry / raw pump, sender + receiver (target ≤ ${CPU_TARGET}×): whole round ${over((c) => c.round)}; while the bytes flowed ${over((c) => c.flowing)}`
      : 'Ferry / raw pump: n/a (both must run)';
  const header = ['Contender', 'Rounds', ...['Sender', 'Receiver', 'Both'].map((side) => `${side}, round`), ...['Sender', 'Receiver', 'Both'].map((side) => `${side}, flowing`)];
  return `${markdownTable(header, rows)}\n\n${verdict}`;
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const COLOURS: Record<Contender, string> = { raw: '#8a8f98', ferry: '#1f6feb', peerjs: '#d4a72c' };

/**
 * Horizontal bars, one group per link: each contender's median MB/s, with a
 * whisker from its slowest round to its fastest.
 */
export function chart(groups: { link: LinkKind; summaries: Summary[] }[], caption: string): string {
  const barHeight = 22;
  const gap = 6;
  const left = 190;
  const width = 720;
  const plot = width - left - 80;
  const top = 44;
  const groupGap = 34;
  const max = Math.max(1, ...groups.flatMap((g) => g.summaries.map((s) => s.max)));
  const scale = (value: number) => (value / max) * plot;
  const parts: string[] = [];
  let y = top;
  for (const { link, summaries } of groups) {
    parts.push(`<text x="12" y="${y - 10}" class="group">${escape(link.name)}</text>`);
    for (const s of summaries) {
      const w = scale(s.median);
      const mid = y + barHeight / 2;
      parts.push(
        `<text x="${left - 8}" y="${mid + 4}" text-anchor="end">${escape(LABELS[s.contender])}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLOURS[s.contender]}"/>`,
        `<line x1="${(left + scale(s.min)).toFixed(1)}" x2="${(left + scale(s.max)).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`,
        `<text x="${(left + Math.max(w, scale(s.max)) + 6).toFixed(1)}" y="${mid + 4}">${rate(s.median)} MB/s</text>`,
      );
      y += barHeight + gap;
    }
    y += groupGap;
  }
  const height = y - groupGap + 28;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">
<style>text{fill:#24292f}.group{font-weight:600}.whisker{stroke:#24292f;stroke-width:1.5}.caption{fill:#57606a;font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="20" class="group">Median throughput, MB/s (whiskers: slowest–fastest round)</text>
${parts.join('\n')}
<text x="12" y="${height - 8}" class="caption">${escape(caption)}</text>
</svg>
`;
}

/** Text made safe inside SVG markup. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
