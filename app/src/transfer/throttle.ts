/**
 * Tells of changes at most once an interval, and always of the last one: a receiver
 * storing 10,000 tiny files must not mean 10,000 repaints, and one that stalls right
 * after a held-back change must not show a figure behind what it holds.
 */
export class Throttle {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #tell: () => void;
  #last = -Infinity;
  /** The held-back change still to be told. */
  #trailing: ReturnType<typeof setTimeout> | undefined;

  constructor(intervalMs: number, now: () => number, tell: () => void) {
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#tell = tell;
  }

  /** Tells now if `force` or the interval is up; otherwise once it is. */
  changed(force: boolean): void {
    const now = this.#now();
    const wait = this.#intervalMs - (now - this.#last);
    if (!force && wait > 0) {
      this.#trailing ??= setTimeout(() => {
        this.#trailing = undefined;
        this.changed(true);
      }, Math.min(wait, this.#intervalMs));
      return;
    }
    clearTimeout(this.#trailing);
    this.#trailing = undefined;
    this.#last = now;
    this.#tell();
  }
}
