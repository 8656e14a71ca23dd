/**
 * Sizes, speeds and times left in the UI's language: app/src/format's figures, the
 * words from the i18n tables.
 */
import { formatSize } from '../format/size.ts';
import { timeLeft } from '../format/time-span.ts';
import type { Messages } from './i18n/en.ts';

export function formatBytes(bytes: number, t: Messages): string {
  return formatSize(bytes, { locale: t.tag, units: t.units.bytes });
}

export function formatRate(bytesPerSecond: number, t: Messages): string {
  return t.units.perSecond(formatBytes(bytesPerSecond, t));
}

export function formatEta(seconds: number | null, t: Messages): string {
  if (seconds === null || !Number.isFinite(seconds)) return t.units.none;
  if (seconds < 1) return t.units.underASecond;
  const left = timeLeft(seconds);
  const hours = left.days * 24 + left.hours;
  if (hours > 0) return t.units.hours(hours, left.minutes);
  if (left.minutes > 0) return t.units.minutes(left.minutes, left.seconds);
  return t.units.seconds(left.seconds);
}
