/**
 * What one receiver acknowledged, over all its connections: the files it received and
 * verified against their hashes. A receiver says it is done, but saying so costs
 * nothing; the sender counts it as finished (and a "first download" link as used) only
 * once every byte it asked for was sent and every file came back with a verified
 * receipt — which the sender accepts only for a file whose end it sent (sender.ts).
 *
 * A receiver that resumes asks only for what it lacks, perhaps after the sender's page
 * reloaded: the files are plain data, kept with the share (session/deliveries.ts).
 */
export class Delivery {
  readonly #verified: Set<number>;
  readonly #onchange: () => void;

  constructor(verified: readonly number[] = [], onchange: () => void = () => {}) {
    this.#verified = new Set(verified);
    this.#onchange = onchange;
  }

  /** The receiver acknowledged `file` as verified (or, `ok` false, as failed: it asks for it again). */
  receipt(file: number, ok: boolean): void {
    if (ok === this.#verified.has(file)) return;
    if (ok) this.#verified.add(file);
    else this.#verified.delete(file);
    this.#onchange();
  }

  /** Whether each of `count` files was verified by the receiver. */
  complete(count: number): boolean {
    for (let file = 0; file < count; file++) if (!this.#verified.has(file)) return false;
    return true;
  }

  /** The files verified, as they are saved. */
  get verified(): number[] {
    return [...this.#verified];
  }
}
