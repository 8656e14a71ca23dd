/**
 * Speed and time left, from a sliding window of recent byte counts. A window (rather
 * than bytes / elapsed) follows a connection that speeds up or stalls.
 */
const WINDOW_MS = 3000;

export interface Progress {
  bytes: number;
  total: number;
  /** Bytes per second over the last few seconds; 0 until there is enough to tell. */
  rate: number;
  /** Seconds left at the current rate, or null when unknown. */
  eta: number | null;
}

export class RateMeter {
  #samples: { at: number; bytes: number }[] = [];

  constructor(readonly total: number) {}

  /** Records that `bytes` have been transferred in all, at time `now` (ms). */
  progress(bytes: number, now: number): Progress {
    const samples = this.#samples;
    samples.push({ at: now, bytes });
    while (samples.length > 2 && now - samples[1]!.at >= WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const span = now - first.at;
    const rate = span >= 250 ? ((bytes - first.bytes) * 1000) / span : 0;
    const eta = rate > 0 ? (this.total - bytes) / rate : null;
    return { bytes, total: this.total, rate, eta };
  }
}
