/**
 * A transfer's progress as one line of text. On a terminal the line is redrawn in
 * place and fits its width: the name is shortened in the middle, and the bar, then
 * the sizes, then the speed and time left give way when there is no room. Elsewhere
 * (output piped to a log) a plain line is printed every few percent instead.
 *
 * Pure: speed and time left come from transfer/progress.ts RateMeter, the figures from
 * app/src/format (as on the page), and the caller does the writing.
 */
import { percentDone } from '../src/format/percent.ts';
import { formatSize, type SizeStyle } from '../src/format/size.ts';
import { timeLeft } from '../src/format/time-span.ts';
import { displayName } from '../src/common/names.ts';
import type { Progress } from '../src/transfer/progress.ts';
import type { FileOutcome } from '../src/transfer/receiver.ts';

const BAR_MIN = 10;
const BAR_MAX = 30;
/** A name cut shorter than this says too little: the bar and the sizes give way first. */
const NAME_MIN = 12;
/** "999.9 MB/s" */
const SPEED_COLUMNS = 10;
/** "59m 59s left" */
const LEFT_COLUMNS = 12;

/** How the terminal writes sizes: English units, "." for decimals, no thousands separators. */
const TERMINAL_SIZES: SizeStyle = { locale: 'en', units: ['B', 'kB', 'MB', 'GB', 'TB'], grouping: false };

export function formatBytes(bytes: number): string {
  return formatSize(bytes, TERMINAL_SIZES);
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "45s", "2m 05s", "1h 02m", "3d 04h", rounded up so it never says 0s before the end; '' when unknown. */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '';
  const { days, hours, minutes, seconds: secs } = timeLeft(seconds);
  const two = (value: number) => String(value).padStart(2, '0');
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${two(secs)}s`;
  return `${secs}s`;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Characters terminals draw two columns wide: CJK, Hangul, fullwidth forms, and
 * emoji shown as pictures. Enough for file names; terminals disagree on the rest.
 */
const WIDE =
  /^(?:[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]|\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)/u;

function graphemeColumns(grapheme: string): number {
  return WIDE.test(grapheme) ? 2 : 1;
}

/** How many terminal columns `text` takes. */
export function columnsOf(text: string): number {
  let columns = 0;
  for (const { segment } of graphemes.segment(text)) columns += graphemeColumns(segment);
  return columns;
}

/**
 * `text` in at most `columns` columns, its middle replaced by "…" if need be: the
 * start and the end of a name (its number, its extension) say the most.
 */
export function shortenMiddle(text: string, columns: number): string {
  if (columnsOf(text) <= columns) return text;
  if (columns <= 1) return '…'.slice(0, Math.max(0, columns));
  const parts = Array.from(graphemes.segment(text), ({ segment }) => segment);
  const budget = columns - 1;
  const take = (from: string[], room: number) => {
    const kept: string[] = [];
    for (const part of from) {
      room -= graphemeColumns(part);
      if (room < 0) break;
      kept.push(part);
    }
    return kept;
  };
  const head = take(parts, Math.floor(budget / 2));
  const tail = take(parts.slice(head.length).reverse(), budget - columnsOf(head.join(''))).reverse();
  return `${head.join('')}…${tail.join('')}`;
}

function drawBar(fraction: number, width: number): string {
  const filled = Math.floor(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/**
 * The line for a terminal `columns` wide: "name  45% ████░░░░  1.2 GB / 2.7 GB  12.3 MB/s  2m 05s left".
 * It takes `columns - 1` columns exactly (less only where not even the percent
 * fits): writing the last column makes some terminals wrap, and a line of constant
 * width overwrites the previous one whole. Unsafe characters in the name (controls,
 * escapes, bidi tricks) are shown as U+FFFD.
 */
export function progressLine(name: string, progress: Progress, columns: number): string {
  const usable = columns - 1;
  const shown = displayName(name);
  const nameColumns = columnsOf(shown);
  const percent = `${percentDone(progress)}%`.padStart(4);
  const total = formatBytes(progress.total);
  const sizes = `${formatBytes(progress.bytes).padStart(total.length)} / ${total}`;
  const speed = (progress.rate > 0 ? formatSpeed(progress.rate) : '').padStart(SPEED_COLUMNS);
  const timeLeft = formatTimeLeft(progress.eta);
  const left = (timeLeft && `${timeLeft} left`).padStart(LEFT_COLUMNS);

  // From the richest layout to the barest, the first that leaves the name its room;
  // the barest gives the name whatever is left.
  const roomy = Math.min(NAME_MIN, nameColumns);
  const layouts = [
    { bar: true, stats: [sizes, speed, left], nameMin: roomy },
    { bar: false, stats: [sizes, speed, left], nameMin: roomy },
    { bar: false, stats: [speed, left], nameMin: roomy },
    { bar: false, stats: [], nameMin: 1 },
  ];
  for (const { bar, stats, nameMin } of layouts) {
    const fixed = 2 + percent.length + stats.reduce((sum, stat) => sum + 2 + stat.length, 0) + (bar ? 1 : 0);
    const barWidth = bar ? Math.min(BAR_MAX, Math.max(BAR_MIN, usable - fixed - nameColumns)) : 0;
    const nameWidth = usable - fixed - barWidth;
    if (nameWidth < nameMin) continue;
    const fitted = shortenMiddle(shown, nameWidth);
    const nameField = fitted + ' '.repeat(nameWidth - columnsOf(fitted));
    const barField = bar ? ` ${drawBar(progress.total > 0 ? progress.bytes / progress.total : 1, barWidth)}` : '';
    return `${nameField}  ${percent}${barField}${stats.map((stat) => `  ${stat}`).join('')}`;
  }
  return percent.trim().slice(0, Math.max(0, usable));
}

/**
 * What the progress line is about: the file's name, or with several files the
 * count and the file arriving now (or next, between two files), "3/5 notes.txt".
 * The count takes in that file, so the last one shows "5/5" while it arrives.
 */
export function arrivingName({ files, outcomes }: { files: readonly { name: string }[]; outcomes: readonly FileOutcome[] }): string {
  if (files.length === 1) return files[0]!.name;
  const receiving = outcomes.indexOf('receiving');
  const arriving = receiving === -1 ? outcomes.indexOf('pending') : receiving;
  // A file with a block being fetched again ('failed') has begun all the same.
  const begun = outcomes.filter((outcome) => outcome !== 'pending').length;
  const count = `${begun + (outcomes[arriving] === 'pending' ? 1 : 0)}/${files.length}`;
  return arriving === -1 ? count : `${count} ${files[arriving]!.name}`;
}

/** The line for a log, where nothing is redrawn: "name  45%  1.2 GB of 2.7 GB  12.3 MB/s  2m 05s left". */
export function plainLine(name: string, progress: Progress): string {
  const timeLeft = formatTimeLeft(progress.eta);
  return [
    displayName(name),
    `${percentDone(progress)}%`,
    `${formatBytes(progress.bytes)} of ${formatBytes(progress.total)}`,
    ...(progress.rate > 0 ? [formatSpeed(progress.rate)] : []),
    ...(timeLeft ? [`${timeLeft} left`] : []),
  ].join('  ');
}

/**
 * Which `everyPercent` step the transfer has reached: a log gets a plainLine each
 * time this changes, so a 10 GB transfer logs eleven lines (0% to 100% by tens), not
 * one per chunk.
 */
export function logStep(progress: Pick<Progress, 'bytes' | 'total'>, everyPercent: number): number {
  return Math.floor(percentDone(progress) / everyPercent);
}
