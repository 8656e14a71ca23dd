/**
 * Tells of changes at most once an interval, and always of the last one: a receiver
 * storing 10,000 tiny files must not mean 10,000 repaints, and one that stalls right
 * after a held-back change must not show a figure behind what it holds.
 */
import type { Clock } from './clock.ts';

export class Throttle {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #tell: () => void;
  #last = -Infinity;
  /** The held-back change still to be told. */
  #trailing: (() => void) | undefined;

  constructor(intervalMs: number, clock: Clock, tell: () => void) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#tell = tell;
  }

  /** Tells now if `force` or the interval is up; otherwise once it is. */
  changed(force: boolean): void {
    const now = this.#clock.now();
    const wait = this.#intervalMs - (now - this.#last);
    if (!force && wait > 0) {
      this.#trailing ??= this.#clock.after(Math.min(wait, this.#intervalMs), () => {
        this.#trailing = undefined;
        this.changed(true);
      });
      return;
    }
    this.#trailing?.();
    this.#trailing = undefined;
    this.#last = now;
    this.#tell();
  }
}
