/** Event-loop delay of the process it runs in, for the broker and the client workers alike. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoopDelay } from './broker-calls.ts';

/** A coarse timer: a 1 ms one would itself cost an idle broker measurable CPU. */
const RESOLUTION_MS = 10;

export interface LoopMonitor {
  /** The delay since the last reset (or since the start). */
  read(): LoopDelay;
  reset(): void;
}

export function monitorLoop(): LoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The histogram records whole timer intervals; what matters is how late each one fired.
  const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    read: () =>
      histogram.count === 0
        ? { p50: 0, p99: 0, max: 0 }
        : { p50: late(histogram.percentile(50)), p99: late(histogram.percentile(99)), max: late(histogram.max) },
    reset: () => histogram.reset(),
  };
}
