import { describe, expect, it } from 'vitest';
import { coalesced } from '../../../app/src/session/coalesced.ts';

/** A save whose writes finish only when told, recording what each one saved. */
function slowSave(state: { value: number }) {
  const saved: number[] = [];
  const finish: (() => void)[] = [];
  const save = coalesced(
    () =>
      new Promise<void>((resolve) => {
        const value = state.value;
        finish.push(() => {
          saved.push(value);
          resolve();
        });
      }),
  );
  return { save, saved, finish };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('coalesced saves', () => {
  it('writes at once when idle, and once more for all the asks during a write', async () => {
    const state = { value: 1 };
    const { save, saved, finish } = slowSave(state);
    const first = save();
    state.value = 2;
    const second = save();
    state.value = 3;
    const third = save();
    expect(second).toBe(third);
    finish.shift()!();
    await first;
    await tick();
    expect(finish).toHaveLength(1);
    finish.shift()!();
    await third;
    // The second write saved the state as it was when it began: the last one.
    expect(saved).toEqual([1, 3]);
  });

  it('a failed write does not stop the next', async () => {
    let calls = 0;
    const save = coalesced(async () => {
      calls += 1;
      if (calls === 1) throw new Error('disk full');
    });
    const first = save();
    const second = save();
    await expect(first).rejects.toThrow('disk full');
    await expect(second).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
