import { describe, expect, it } from 'vitest';
import { roomMessage } from '../../app/src/transfer/room.ts';

describe('checking for room before a transfer', () => {
  it('lets a transfer that fits start', () => {
    expect(roomMessage(100e6, { quota: 1e9, usage: 800e6 })).toBeNull();
  });

  it('says how much is needed and how much is free when it does not fit', () => {
    expect(roomMessage(210e6, { quota: 1e9, usage: 900e6 })).toBe(
      'Not enough room on this device: the transfer needs 210 MB but only 100 MB is free for this site. Free some space and try again.',
    );
  });

  it('does not guess when the browser gives no figures', () => {
    expect(roomMessage(1e12, {})).toBeNull();
  });
});
