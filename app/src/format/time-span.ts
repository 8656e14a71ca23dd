/** Spans of time cut into days, hours, minutes and seconds, for the page's words and the terminal's. */

/** Whole minutes in `ms`, rounded down: "Expires in 59 minutes" right after choosing an hour. */
export function wholeMinutes(ms: number): number {
  return Math.floor(Math.max(0, ms) / 60_000);
}

/**
 * A span of whole minutes as its two largest units, the second left out when zero:
 * [[6, 'day'], [23, 'hour']], [[59, 'minute']]. Empty under a minute.
 */
export function largestUnits(minutes: number): [number, 'day' | 'hour' | 'minute'][] {
  const units = [
    [Math.floor(minutes / 1440), 'day'],
    [Math.floor(minutes / 60) % 24, 'hour'],
    [Math.floor(minutes) % 60, 'minute'],
  ] as [number, 'day' | 'hour' | 'minute'][];
  const first = units.findIndex(([value]) => value > 0);
  return first === -1 ? [] : units.slice(first, first + 2).filter(([value]) => value > 0);
}

export interface TimeLeft {
  days: number;
  /** Hours past the days: 0 to 23. */
  hours: number;
  minutes: number;
  seconds: number;
}

/**
 * Time left in whole units, rounded up first so it never says 0 seconds before the
 * end, nor "1 min 60 s" (rounding the seconds alone would make 119.5 s that).
 */
export function timeLeft(seconds: number): TimeLeft {
  const total = Math.ceil(Math.max(0, seconds));
  return { days: Math.floor(total / 86_400), hours: Math.floor(total / 3600) % 24, minutes: Math.floor(total / 60) % 60, seconds: total % 60 };
}
