import { describe, expect, it } from 'vitest';
import { Deliveries, MAX_DELIVERIES } from '../../../app/src/session/deliveries.ts';

describe('what a share keeps of the files each receiver verified', () => {
  it('is saved by receiver key as it changes, read back after a reload, and forgotten once the receiver finished', () => {
    let changes = 0;
    const deliveries = new Deliveries({}, () => changes++);
    deliveries.of('a').receipt(0, true);
    deliveries.of('a').receipt(2, true);
    deliveries.of('b').receipt(1, true);
    deliveries.of('b').receipt(1, false);
    // One that only called takes no place.
    deliveries.of('c');
    expect(changes).toBe(4);
    expect(deliveries.saved).toEqual({ a: [0, 2], b: [] });
    const reloaded = new Deliveries(deliveries.saved);
    expect(reloaded.of('a').complete(3)).toBe(false);
    reloaded.of('a').receipt(1, true);
    expect(reloaded.of('a').complete(3)).toBe(true);
    reloaded.forget('a');
    expect(reloaded.saved).toEqual({ b: [] });
  });

  it('keeps no more than MAX_DELIVERIES receivers, the oldest going first, and nothing for a receiver without a name', () => {
    const deliveries = new Deliveries();
    for (let at = 0; at <= MAX_DELIVERIES; at++) deliveries.of(`r-${at}`).receipt(0, true);
    deliveries.of(null).receipt(0, true);
    const kept = Object.keys(deliveries.saved);
    expect(kept).toHaveLength(MAX_DELIVERIES);
    expect(kept[0]).toBe('r-1');
  });
});
