import { describe, expect, it } from 'vitest';
import { shortfall } from '../../../app/src/session/room.ts';

describe('checking for room before a transfer', () => {
  it('lets a transfer that fits start', () => {
    expect(shortfall(100e6, { quota: 1e9, usage: 800e6 })).toBeNull();
  });

  it('says how much is needed and how much is free when it does not fit', () => {
    expect(shortfall(210e6, { quota: 1e9, usage: 900e6 })).toEqual({ needed: 210e6, free: 100e6 });
  });

  it('does not guess when the browser gives no figures', () => {
    expect(shortfall(1e12, {})).toBeNull();
  });
});
