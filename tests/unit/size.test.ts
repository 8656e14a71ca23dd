import { describe, expect, it } from 'vitest';
import { formatSize } from '../../app/src/format/size.ts';
import { formatBytes } from '../../app/src/ui/format.ts';
import { formatBytes as terminalBytes } from '../../app/cli/progress-line.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import { ru } from '../../app/src/ui/i18n/ru.ts';

const EN = { locale: 'en', units: en.units.bytes };
const RU = { locale: 'ru', units: ru.units.bytes };

describe('formatSize', () => {
  it.each([
    [0, '0 B', '0 Б'],
    [999, '999 B', '999 Б'],
    [1000, '1.0 kB', '1,0 кБ'],
    [99_949, '99.9 kB', '99,9 кБ'],
    // Not "100.0 kB": past 99.95 there are no decimals.
    [99_950, '100 kB', '100 кБ'],
    [999_499, '999 kB', '999 кБ'],
    // Not "1,000 kB": that is the next unit's 1.0.
    [999_600, '1.0 MB', '1,0 МБ'],
    [2_700_000_000, '2.7 GB', '2,7 ГБ'],
    [210e9, '210 GB', '210 ГБ'],
  ])('writes %d bytes as %s in English and %s in Russian', (bytes, english, russian) => {
    expect(formatSize(bytes, EN)).toBe(english);
    expect(formatSize(bytes, RU)).toBe(russian);
  });

  it('counts sizes past the largest unit in that unit, grouped as the language groups digits unless told not to', () => {
    expect(formatSize(5e15, EN)).toBe('5,000 TB');
    expect(formatSize(5e15, RU)).toBe('5\u00a0000 ТБ');
    expect(formatSize(5e15, { ...EN, grouping: false })).toBe('5000 TB');
  });

  it('is what the page and the terminal both show', () => {
    for (const bytes of [0, 999, 99_950, 999_600, 2_700_000_000]) {
      expect(formatBytes(bytes, en)).toBe(terminalBytes(bytes));
      expect(formatBytes(bytes, ru)).toBe(formatSize(bytes, RU));
    }
  });
});
