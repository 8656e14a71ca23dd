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
