/**
 * One Ferry round's timeline (app/src/transfer/trace.ts records it in both pages):
 * where each side waited, as totals for the Markdown report and as an SVG picture of
 * a stretch in the middle of the transfer.
 */
import type { SampleKind, SpanKind, TraceEvent } from '../../app/src/transfer/trace.ts';
import { MiB } from '../e2e/fixtures.ts';
import { escape } from './report.ts';

export interface Trace {
  sender: TraceEvent[];
  receiver: TraceEvent[];
  /** The receiver's first payload byte and its last (stored and verified), epoch ms. */
  firstAt: number;
  lastAt: number;
}

type Side = 'sender' | 'receiver';
type Span = Extract<TraceEvent, { ms: number }>;
type Sample = Extract<TraceEvent, { value: number }>;

/** The lanes shown, per side, with what each means in the report. */
const LANES: { side: Side; kind: SpanKind; label: string; colour: string }[] = [
  { side: 'sender', kind: 'read', label: 'sender: waits for file reads', colour: '#8250df' },
  { side: 'sender', kind: 'drain', label: 'sender: waits for bufferedamountlow', colour: '#0969da' },
  { side: 'sender', kind: 'grant', label: 'sender: waits for the receiver to ask', colour: '#cf222e' },
  { side: 'sender', kind: 'hash', label: 'sender: hashes (main thread)', colour: '#bf8700' },
  { side: 'receiver', kind: 'store', label: 'receiver: waits for the last commit', colour: '#cf222e' },
  { side: 'receiver', kind: 'hash', label: 'receiver: hashes (main thread)', colour: '#bf8700' },
  { side: 'receiver', kind: 'commit', label: 'receiver: commits a batch (background)', colour: '#1a7f37' },
];

const isSpan = (event: TraceEvent): event is Span => 'ms' in event;
const isSample = (event: TraceEvent): event is Sample => 'value' in event;

function spans(events: TraceEvent[], kind: SpanKind, from: number, to: number): Span[] {
  return events.filter((e): e is Span => isSpan(e) && e.kind === kind && e.at + e.ms > from && e.at < to);
}

function samples(events: TraceEvent[], kind: SampleKind, from: number, to: number): Sample[] {
  return events.filter((e): e is Sample => isSample(e) && e.kind === kind && e.at >= from && e.at <= to);
}

/** Milliseconds of [from, to) covered by `list` (overlaps counted once). */
function covered(list: Span[], from: number, to: number): number {
  let total = 0;
  let reach = from;
  for (const { at, ms } of [...list].sort((a, b) => a.at - b.at)) {
    const start = Math.max(at, reach);
    const end = Math.min(at + ms, to);
    if (end > start) total += end - start;
    reach = Math.max(reach, end);
  }
  return total;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

export interface TraceSummary {
  seconds: number;
  /** Share of the round each lane was busy, by lane label. */
  shares: { label: string; share: number; count: number; p50: number; p99: number }[];
  /** The sender's pump waited on something (read, drain or grant): share of the round. */
  senderWaiting: number;
  buffered: { p50: number; p10: number };
  /** The sender's queue when more was asked for. */
  granted: { p50: number; p10: number; dry: number };
  asked: { p50: number; max: number };
  commit: { p50: number; p99: number; bytesP50: number };
  inbox: { p50: number; p99: number };
}

export function summarizeTrace(trace: Trace): TraceSummary {
  const { firstAt: from, lastAt: to } = trace;
  const duration = to - from;
  const shares = LANES.map(({ side, kind, label }) => {
    const list = spans(trace[side], kind, from, to);
    const lengths = list.map((s) => s.ms);
    return { label, share: covered(list, from, to) / duration, count: list.length, p50: percentile(lengths, 0.5), p99: percentile(lengths, 0.99) };
  });
  const waits = (['read', 'drain', 'grant'] as const).flatMap((kind) => spans(trace.sender, kind, from, to));
  const buffered = samples(trace.sender, 'buffered', from, to).map((s) => s.value);
  const asked = samples(trace.receiver, 'asked', from, to).map((s) => s.value);
  const granted = samples(trace.sender, 'granted', from, to).map((s) => s.value);
  const commits = spans(trace.receiver, 'commit', from, to);
  const inbox = spans(trace.receiver, 'inbox', from, to).map((s) => s.ms);
  return {
    seconds: duration / 1000,
    shares,
    senderWaiting: covered(waits, from, to) / duration,
    buffered: { p50: percentile(buffered, 0.5), p10: percentile(buffered, 0.1) },
    asked: { p50: percentile(asked, 0.5), max: Math.max(0, ...asked) },
    granted: { p50: percentile(granted, 0.5), p10: percentile(granted, 0.1), dry: granted.filter((value) => value === 0).length / Math.max(1, granted.length) },
    commit: { p50: percentile(commits.map((c) => c.ms), 0.5), p99: percentile(commits.map((c) => c.ms), 0.99), bytesP50: percentile(commits.map((c) => c.bytes ?? 0), 0.5) },
    inbox: { p50: percentile(inbox, 0.5), p99: percentile(inbox, 0.99) },
  };
}

export function traceTable(summary: TraceSummary): string {
  const rows = summary.shares.map(
    ({ label, share, count, p50, p99 }) => `| ${label} | ${(share * 100).toFixed(1)}% | ${count} | ${p50.toFixed(1)} | ${p99.toFixed(1)} |`,
  );
  return [
    '| Lane | Share of the round | Spans | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `The sender's pump waited on something ${(summary.senderWaiting * 100).toFixed(1)}% of the round. ` +
      `Its bufferedAmount after a send: median ${(summary.buffered.p50 / MiB).toFixed(2)} MiB, 10th percentile ${(summary.buffered.p10 / MiB).toFixed(2)} MiB. ` +
      `When the receiver asked for more, the queue held a median ${(summary.granted.p50 / MiB).toFixed(2)} MiB (10th percentile ${(summary.granted.p10 / MiB).toFixed(2)} MiB; empty ${(summary.granted.dry * 100).toFixed(0)}% of the time). ` +
      `The receiver had a median ${(summary.asked.p50 / MiB).toFixed(2)} MiB asked for and not yet stored (most ${(summary.asked.max / MiB).toFixed(2)} MiB). ` +
      `A commit of a median ${(summary.commit.bytesP50 / MiB).toFixed(2)} MiB took ${summary.commit.p50.toFixed(1)} ms (p99 ${summary.commit.p99.toFixed(1)} ms); ` +
      `a message waited in the receiver's inbox ${summary.inbox.p50.toFixed(1)} ms at the median (p99 ${summary.inbox.p99.toFixed(1)} ms).`,
  ].join('\n');
}

/** The picture: `seconds` of the round from 40% of the way on, one lane per kind of wait, and the two levels. */
export function timelineChart(trace: Trace, caption: string, seconds = 2): string {
  const from = trace.firstAt + (trace.lastAt - trace.firstAt) * 0.4;
  const to = Math.min(trace.lastAt, from + seconds * 1000);
  const width = 900;
  const left = 290;
  const plot = width - left - 20;
  const x = (at: number) => left + ((Math.min(Math.max(at, from), to) - from) / (to - from)) * plot;
  const parts: string[] = [];
  let y = 40;

  // Levels: the sender's queue and the receiver's outstanding asks, in MiB.
  const levelHeight = 110;
  const buffered = samples(trace.sender, 'buffered', from, to);
  const asked = samples(trace.receiver, 'asked', from, to);
  const top = Math.max(1, ...buffered.map((s) => s.value / MiB), ...asked.map((s) => s.value / MiB));
  const ly = (value: number) => y + levelHeight - (value / MiB / top) * levelHeight;
  const line = (list: Sample[], colour: string) =>
    list.length === 0 ? '' : `<polyline fill="none" stroke="${colour}" stroke-width="1.2" points="${list.map((s) => `${x(s.at).toFixed(1)},${ly(s.value).toFixed(1)}`).join(' ')}"/>`;
  parts.push(
    `<text x="${left - 8}" y="${y + 14}" text-anchor="end" fill="#0969da">sender: bufferedAmount after each send</text>`,
    `<text x="${left - 8}" y="${y + 32}" text-anchor="end" fill="#cf222e">receiver: asked for, not yet stored</text>`,
    `<text x="${left - 8}" y="${y + levelHeight}" text-anchor="end" class="caption">0 — ${top.toFixed(1)} MiB</text>`,
    `<rect x="${left}" y="${y}" width="${plot}" height="${levelHeight}" fill="#f6f8fa"/>`,
    line(buffered, '#0969da'),
    line(asked, '#cf222e'),
  );
  y += levelHeight + 16;

  const laneHeight = 18;
  for (const { side, kind, label, colour } of LANES) {
    parts.push(`<text x="${left - 8}" y="${y + 13}" text-anchor="end">${label}</text>`, `<rect x="${left}" y="${y}" width="${plot}" height="${laneHeight}" fill="#f6f8fa"/>`);
    for (const { at, ms } of spans(trace[side], kind, from, to)) {
      const start = x(at);
      parts.push(`<rect x="${start.toFixed(1)}" y="${y + 2}" width="${Math.max(0.6, x(at + ms) - start).toFixed(1)}" height="${laneHeight - 4}" fill="${colour}"/>`);
    }
    y += laneHeight + 6;
  }
  // Time axis, every 250 ms.
  for (let t = 0; t <= to - from; t += 250) {
    const tx = x(from + t);
    parts.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y}" y2="${y + 4}" stroke="#57606a"/>`, `<text x="${tx.toFixed(1)}" y="${y + 16}" text-anchor="middle" class="caption">${t} ms</text>`);
  }
  y += 24;
  const height = y + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<style>text{fill:#24292f}.title{font-weight:600;font-size:13px}.caption{fill:#57606a;font-size:11px}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="20" class="title">One Ferry round, ${((to - from) / 1000).toFixed(1)} s from 40% of the way: where each side waits</text>
${parts.filter(Boolean).join('\n')}
<text x="12" y="${height - 8}" class="caption">${escape(caption)}</text>
</svg>
`;
}
