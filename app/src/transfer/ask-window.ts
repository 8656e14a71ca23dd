/**
 * What a receiver has asked the sender for and what it has still to ask: ranges are
 * asked for in windows, so the sender never runs more than a window ahead of what is
 * stored, and a dropped connection costs at most a window. Each lane (lanes.ts) has a
 * window of its own, answered in order on that lane; all take from one plan.
 */
import { BLOCK_SIZE } from './block-tree.ts';
import type { FileRange } from './messages.ts';

/** Ranges asked for and not yet answered, at most; one request carries no more either. */
export const MAX_ASKED = 1000;

/** A requested range and how far it has arrived. */
export interface Asked extends FileRange {
  at: number;
}

/** What is still to ask for, in order: one list, which the window of every lane takes from. */
export class AskPlan {
  /** Shared with the windows that take from it (AskWindow.topUp). */
  pending: FileRange[] = [];

  /** Nothing left to ask for. */
  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** What is still to ask for, from the first range: replaces what was planned. */
  plan(ranges: FileRange[]): void {
    this.pending = ranges;
  }

  /** Ranges to ask for before anything else planned (a block fetched again). */
  first(ranges: FileRange[]): void {
    this.pending.unshift(...ranges);
  }
}

export class AskWindow {
  /** Bytes asked for and not yet stored, at most (but for one block: see topUp). */
  #size: number;
  readonly #blockSize: number;
  readonly #plan: AskPlan;
  /** Asked for, in the order the sender answers. */
  readonly #asked: Asked[] = [];
  #askedBytes = 0;

  /** Planned ranges start on block boundaries and end on one or at the file's end; cuts keep to them. */
  constructor(size: number, plan: AskPlan, blockSize = BLOCK_SIZE) {
    this.#size = size;
    this.#plan = plan;
    this.#blockSize = blockSize;
  }

  /**
   * Asks for no more than `size` from now on: the lanes of a transfer share one
   * window's worth between them, so that a drop costs what it costs with one.
   */
  resize(size: number): void {
    this.#size = size;
  }

  /** Bytes asked for and not yet arrived. */
  get askedBytes(): number {
    return this.#askedBytes;
  }

  /** The range the sender answers next, if any is asked for. */
  get next(): Asked | undefined {
    return this.#asked[0];
  }

  /** Whether anything is asked for and not yet answered. */
  get waiting(): boolean {
    return this.#asked.length > 0;
  }

  /**
   * What was asked here and has not arrived, from the start of the block it stopped
   * in (a block comes whole or not at all): to ask elsewhere once this window's lane
   * is gone. A range whose bytes all came still lacks its file's end: it is asked
   * again as just that.
   */
  unanswered(): FileRange[] {
    return this.#asked.map(({ file, start, end, at }) => ({ file, start: at === end ? end : Math.max(start, at - (at % this.#blockSize)), end }));
  }

  /** Whether a range of `file` that ends at its end (`size`) is asked for here and not yet answered: its file-end is still to come. */
  awaitsEnd(file: number, size: number): boolean {
    return this.#asked.some((asked) => asked.file === file && asked.end === size);
  }

  /** `bytes` of the next range arrived (#next.at is moved by the caller). */
  arrived(bytes: number): void {
    this.#askedBytes -= bytes;
  }

  /** The next range is answered whole. */
  answered(): void {
    this.#asked.shift();
  }

  /**
   * The ranges to ask for now, to top the window up, and counted as asked: none until
   * a third of it has been stored. A range too long for what is left is cut at a block
   * boundary, at least one block in, so every block is asked for whole: the window may
   * run a block over. Only ranges of files `may` allow are taken: the plan's first
   * range of another file stops the top-up (another lane takes it).
   */
  topUp(may: (file: number) => boolean = () => true): FileRange[] {
    const full = this.#askedBytes > (this.#size * 2) / 3 || this.#asked.length > (MAX_ASKED * 2) / 3;
    const pending = this.#plan.pending;
    if (pending.length === 0 || full) return [];
    const batch: FileRange[] = [];
    let budget = this.#size - this.#askedBytes;
    // Zero-length ranges (an empty file, or just its end) cost no budget, so their number
    // is capped too: a request for 10,000 tiny files stays a modest message, and what
    // the sender may have in flight stays within inboxLimits.
    while (pending.length > 0 && budget > 0 && this.#asked.length < MAX_ASKED && may(pending[0]!.file)) {
      const next = pending[0]!;
      const end = Math.min(next.end, next.start + Math.max(this.#blockSize, budget - (budget % this.#blockSize)));
      const range = { file: next.file, start: next.start, end };
      if (end === next.end) pending.shift();
      else next.start = end;
      batch.push(range);
      this.#asked.push({ ...range, at: range.start });
      this.#askedBytes += end - range.start;
      budget -= end - range.start;
    }
    return batch;
  }
}
