/**
 * What one receiver has been given, over all its connections: the bytes of each file
 * sent to it, and the files it acknowledged as verified. A receiver says it is done,
 * but saying so costs nothing; the sender counts it as finished (and a "first
 * download" link as used) only once every byte of every file went to it and each
 * file came back with a verified receipt.
 *
 * A receiver that resumes asks only for what it lacks, perhaps after the sender's page
 * reloaded: the state is plain data, kept with the share (share-record.ts).
 */
import { addRange, isComplete, type RangeList } from './ranges.ts';

/** A Delivery as data: per file (by index), the byte ranges sent, and the files verified. */
export interface DeliveryState {
  sent: Record<number, RangeList>;
  verified: number[];
}

export class Delivery {
  readonly #sent = new Map<number, RangeList>();
  readonly #verified = new Set<number>();
  readonly #onchange: () => void;

  constructor(state?: DeliveryState, onchange: () => void = () => {}) {
    for (const [file, ranges] of Object.entries(state?.sent ?? {})) this.#sent.set(Number(file), ranges);
    for (const file of state?.verified ?? []) this.#verified.add(file);
    this.#onchange = onchange;
  }

  /** Bytes [start, end) of `file` went to the receiver. */
  sent(file: number, start: number, end: number): void {
    if (end <= start) return;
    this.#sent.set(file, addRange(this.#sent.get(file) ?? [], start, end));
    this.#onchange();
  }

  /** The receiver acknowledged `file` as verified (or, `ok` false, as failed: it asks for it again). */
  receipt(file: number, ok: boolean): void {
    if (ok === this.#verified.has(file)) return;
    if (ok) this.#verified.add(file);
    else this.#verified.delete(file);
    this.#onchange();
  }

  /** Whether every file of these sizes was sent whole to the receiver, and verified by it. */
  complete(sizes: readonly number[]): boolean {
    return sizes.every((size, file) => this.#verified.has(file) && isComplete(this.#sent.get(file) ?? [], size));
  }

  get state(): DeliveryState {
    return { sent: Object.fromEntries(this.#sent), verified: [...this.#verified] };
  }
}
