/** Human-readable sizes, speeds and durations (decimal units, as file managers show), in the UI's language. */
import type { Messages } from './i18n/en.ts';

export function formatBytes(bytes: number, t: Messages): string {
  const units = t.units.bytes;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const number = value.toLocaleString(t.tag, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${number} ${units[unit]}`;
}

export function formatRate(bytesPerSecond: number, t: Messages): string {
  return t.units.perSecond(formatBytes(bytesPerSecond, t));
}

export function formatEta(seconds: number | null, t: Messages): string {
  if (seconds === null || !Number.isFinite(seconds)) return t.units.none;
  if (seconds < 1) return t.units.underASecond;
  if (seconds < 60) return t.units.seconds(Math.ceil(seconds));
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t.units.minutes(minutes, Math.ceil(seconds % 60));
  return t.units.hours(Math.floor(minutes / 60), minutes % 60);
}

/** Whole minutes in `ms`, rounded down: "Expires in 59 minutes" right after choosing an hour. */
export function wholeMinutes(ms: number): number {
  return Math.floor(Math.max(0, ms) / 60_000);
}

export function percent(bytes: number, total: number): number {
  return total === 0 ? 100 : Math.floor((bytes / total) * 100);
}
