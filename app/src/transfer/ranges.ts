/**
 * Byte-range bookkeeping for resumable files: which parts of a file are stored.
 * A range list is sorted, non-overlapping and non-adjacent ([start, end) pairs),
 * so it stays as short as the number of gaps and serialises as plain JSON.
 */
export type Range = readonly [start: number, end: number];
export type RangeList = readonly Range[];

/** Adds [start, end) to the list, merging with whatever it overlaps or touches. */
export function addRange(list: RangeList, start: number, end: number): RangeList {
  if (end <= start) return list;
  const out: Range[] = [];
  let merged: [number, number] = [start, end];
  let placed = false;
  for (const [s, e] of list) {
    if (e < merged[0]) {
      out.push([s, e]);
    } else if (s > merged[1]) {
      if (!placed) {
        out.push(merged);
        placed = true;
      }
      out.push([s, e]);
    } else {
      merged = [Math.min(s, merged[0]), Math.max(e, merged[1])];
    }
  }
  if (!placed) out.push(merged);
  return out;
}

/** The parts of [0, size) not in the list, in order: exactly what to ask for. */
export function missingRanges(list: RangeList, size: number): RangeList {
  const gaps: Range[] = [];
  let at = 0;
  for (const [s, e] of list) {
    if (s >= size) break;
    if (s > at) gaps.push([at, s]);
    at = Math.max(at, e);
  }
  if (at < size) gaps.push([at, size]);
  return gaps;
}

/**
 * The missing parts of [0, size) widened to whole blocks of `blockSize` (the last ends
 * at `size`), merged where they meet: what to ask for when only whole blocks can be
 * checked. Bytes of a block stored only in part are asked for again with the rest.
 */
export function blockGaps(list: RangeList, size: number, blockSize: number): RangeList {
  const gaps: [number, number][] = [];
  for (const [s, e] of missingRanges(list, size)) {
    const start = Math.floor(s / blockSize) * blockSize;
    const end = Math.min(size, Math.ceil(e / blockSize) * blockSize);
    const last = gaps.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else gaps.push([start, end]);
  }
  return gaps;
}

/** Total bytes covered. */
export function coveredBytes(list: RangeList): number {
  return list.reduce((sum, [s, e]) => sum + e - s, 0);
}

/** True when the list covers all of [0, size). */
export function isComplete(list: RangeList, size: number): boolean {
  return missingRanges(list, size).length === 0;
}

/** Checks a list read back from storage or a peer; returns null when it is not one. */
export function parseRangeList(value: unknown): RangeList | null {
  if (!Array.isArray(value)) return null;
  let previousEnd = -1;
  for (const range of value) {
    if (!Array.isArray(range) || range.length !== 2) return null;
    const [s, e] = range as unknown[];
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(e)) return null;
    if ((s as number) <= previousEnd || (e as number) <= (s as number)) return null;
    previousEnd = e as number;
  }
  return value as RangeList;
}
