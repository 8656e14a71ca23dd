import { describe, expect, it } from 'vitest';
import { largestUnits, timeLeft, wholeMinutes } from '../../app/src/format/time-span.ts';
import { formatEta } from '../../app/src/ui/format.ts';
import { formatTimeLeft } from '../../app/cli/progress-line.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import { ru } from '../../app/src/ui/i18n/ru.ts';

describe('timeLeft', () => {
  it('rounds the whole span up before cutting it, so the seconds never reach 60', () => {
    expect(timeLeft(119.5)).toEqual({ days: 0, hours: 0, minutes: 2, seconds: 0 });
    expect(formatEta(119.5, en)).toBe('2 min 0 s');
    expect(formatEta(119.5, ru)).toBe('2 мин 0 с');
    expect(formatTimeLeft(119.5)).toBe('2m 00s');
  });

  it('never says nothing is left before the end', () => {
    expect(timeLeft(0.2)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 1 });
    expect(timeLeft(0)).toEqual({ days: 0, hours: 0, minutes: 0, seconds: 0 });
  });

  it('counts days, and the page counts them as hours', () => {
    expect(timeLeft(3 * 86_400 + 4 * 3600 + 59)).toEqual({ days: 3, hours: 4, minutes: 0, seconds: 59 });
    expect(formatEta(3 * 86_400 + 4 * 3600, en)).toBe('76 h 0 min');
  });
});

describe('spans of whole minutes', () => {
  it('says the two largest units, leaving out a zero second one', () => {
    expect(largestUnits(6 * 1440 + 23 * 60 + 59)).toEqual([
      [6, 'day'],
      [23, 'hour'],
    ]);
    expect(largestUnits(1440 + 5)).toEqual([[1, 'day']]);
    expect(largestUnits(59)).toEqual([[59, 'minute']]);
    expect(largestUnits(0)).toEqual([]);
  });

  it('rounds milliseconds down to whole minutes, never below zero', () => {
    expect(wholeMinutes(3_599_999)).toBe(59);
    expect(wholeMinutes(-1)).toBe(0);
  });
});
