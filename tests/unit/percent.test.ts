import { describe, expect, it } from 'vitest';
import { percentDone } from '../../app/src/format/percent.ts';

describe('percentDone', () => {
  it('multiplies before dividing, so 29 of 100 is 29%, not 28%', () => {
    expect(percentDone({ bytes: 29, total: 100 })).toBe(29);
    expect(percentDone({ bytes: 57, total: 100 })).toBe(57);
  });

  it('rounds down, so 100% means done', () => {
    expect(percentDone({ bytes: 999, total: 1000 })).toBe(99);
    expect(percentDone({ bytes: 1000, total: 1000 })).toBe(100);
    expect(percentDone({ bytes: 0, total: 1000 })).toBe(0);
  });

  it('is 100 when there is nothing to move, and stays within 0 to 100', () => {
    expect(percentDone({ bytes: 0, total: 0 })).toBe(100);
    expect(percentDone({ bytes: 1200, total: 1000 })).toBe(100);
    expect(percentDone({ bytes: -5, total: 1000 })).toBe(0);
  });

  it('keeps its precision for huge sizes', () => {
    expect(percentDone({ bytes: 4.99e15, total: 5e15 })).toBe(99);
    expect(percentDone({ bytes: 2 ** 52, total: 2 ** 53 })).toBe(50);
  });
});
