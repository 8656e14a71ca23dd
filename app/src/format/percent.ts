/**
 * Whole percent done, rounded down so 100% means done; 100 when there is nothing to
 * do. Multiplied before dividing: (29 / 100) * 100 is 28.999999999999996 in floating point.
 */
export function percentDone({ bytes, total }: { bytes: number; total: number }): number {
  return total <= 0 ? 100 : Math.min(100, Math.max(0, Math.floor((bytes * 100) / total)));
}
