/**
 * The one fake clock of the unit tests, for everything that takes a Clock
 * (transfer/clock.ts): time moves only when a test says so, and timers run as it does.
 */
import type { Clock } from '../../app/src/transfer/clock.ts';

export class ManualClock implements Clock {
  #time: number;
  readonly #timers = new Set<{ at: number; run: () => void }>();

  /** `start`: the wall clock's reading at first, for what compares against real instants. */
  constructor(start = 0) {
    this.#time = start;
  }

  now = (): number => this.#time;

  after = (ms: number, run: () => void): (() => void) => {
    const timer = { at: this.#time + ms, run };
    this.#timers.add(timer);
    return () => void this.#timers.delete(timer);
  };

  /** Milliseconds until the next timer is due; null when none is set. */
  get next(): number | null {
    const due = [...this.#timers].map((timer) => timer.at - this.#time);
    return due.length === 0 ? null : Math.min(...due);
  }

  /**
   * The machine sleeps for `ms` (a laptop's lid closed, a phone freezing the page):
   * the wall clock moves on, timers do not, and each runs that much later.
   */
  sleep(ms: number): void {
    this.#time += ms;
    for (const timer of this.#timers) timer.at += ms;
  }

  /** Moves time on by `ms`, running each timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#time + ms;
    for (;;) {
      const [timer] = [...this.#timers].filter((each) => each.at <= end).sort((a, b) => a.at - b.at);
      if (!timer) break;
      this.#timers.delete(timer);
      this.#time = timer.at;
      timer.run();
    }
    this.#time = end;
  }
}
