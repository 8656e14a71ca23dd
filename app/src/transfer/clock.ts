/**
 * Time, as every class that waits or measures takes it: one interface, so tests
 * drive them all with one hand-moved clock (tests/unit/manual-clock.ts). Pure
 * functions take the instant itself instead (`now: number`): they only compare.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Runs `run` once `ms` have passed; the function returned cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  after: (ms, run) => {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};
