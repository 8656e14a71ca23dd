/**
 * Sizes in decimal units, as file managers show them, for the page and the terminal
 * alike. Pure: the caller says how its language writes numbers and names the units.
 */

/** How one language, or the terminal, writes a size. */
export interface SizeStyle {
  /** BCP 47 tag: the decimal separator ("1.5" or "1,5") and digit grouping. */
  readonly locale: string;
  /** The names of B, kB, MB, GB and TB, in that order. */
  readonly units: readonly string[];
  /** Thousands separators in a size past the largest unit ("5,000 TB"); a terminal leaves them out. */
  readonly grouping?: boolean;
}

/** "999 B", "1.0 kB", "12.3 MB", "210 GB": three significant digits at most, one decimal below 100. */
export function formatSize(bytes: number, { locale, units, grouping = true }: SizeStyle): string {
  let value = bytes;
  let unit = 0;
  // 999.5 would print as "1000" at no decimals: it is the next unit's 1.0.
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // Likewise 99.95 would print as "100.0": past it, no decimals.
  const digits = unit === 0 || value >= 99.95 ? 0 : 1;
  const number = value.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: grouping });
  return `${number} ${units[unit]}`;
}
