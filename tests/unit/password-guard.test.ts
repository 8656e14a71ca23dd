import { describe, expect, it } from 'vitest';
import { PASSWORD_LIMITS, PasswordGuard } from '../../app/src/transfer/password-guard.ts';

const MINUTE = 60_000;

function guarded() {
  const clock = { now: 1_000_000 };
  const guard = new PasswordGuard(PASSWORD_LIMITS, () => clock.now);
  return { guard, clock };
}

/** Wrong tries by `receiver` until it is locked out; the verdict of each. */
function wrongUntilLocked(guard: PasswordGuard, receiver: string) {
  const verdicts = [];
  for (let i = 0; i < PASSWORD_LIMITS.tries; i++) verdicts.push(guard.attempt(receiver));
  return verdicts;
}

describe('wrong passwords from one receiver', () => {
  it('count down, then lock it out for a minute', () => {
    const { guard } = guarded();
    expect(guard.wait('a')).toBe(0);
    expect(wrongUntilLocked(guard, 'a')).toEqual([{ triesLeft: 4 }, { triesLeft: 3 }, { triesLeft: 2 }, { triesLeft: 1 }, { retryInMs: MINUTE }]);
    expect(guard.wait('a')).toBe(MINUTE);
    // Another receiver is not held back by it.
    expect(guard.wait('b')).toBe(0);
  });

  it('lock it out twice as long each further time', () => {
    const { guard, clock } = guarded();
    const lockouts = [];
    for (let round = 0; round < 3; round++) {
      lockouts.push(wrongUntilLocked(guard, 'a').at(-1));
      clock.now += guard.wait('a');
      expect(guard.wait('a')).toBe(0);
    }
    expect(lockouts).toEqual([{ retryInMs: MINUTE }, { retryInMs: 2 * MINUTE }, { retryInMs: 4 * MINUTE }]);
  });

  it('start afresh after the right password', () => {
    const { guard } = guarded();
    guard.attempt('a');
    guard.attempt('a');
    guard.right('a');
    expect(guard.attempt('a')).toEqual({ triesLeft: 4 });
  });
});

describe('wrong passwords across the share', () => {
  it('lock everyone out when receivers that change their names use up the share’s tries, until one refills', () => {
    const { guard, clock } = guarded();
    let verdict;
    // Each name tries once: no receiver is ever locked out by its own tries.
    for (let i = 0; i < PASSWORD_LIMITS.shareTries; i++) verdict = guard.attempt(`name-${i}`);
    expect(verdict).toEqual({ retryInMs: PASSWORD_LIMITS.refillMs });
    expect(guard.wait('someone-new')).toBe(PASSWORD_LIMITS.refillMs);
    clock.now += PASSWORD_LIMITS.refillMs - 1;
    expect(guard.wait('someone-new')).toBe(1);
    clock.now += 1;
    expect(guard.wait('someone-new')).toBe(0);
    // One try came back, not twenty.
    expect(guard.attempt('someone-new')).toEqual({ retryInMs: PASSWORD_LIMITS.refillMs });
  });

  it('get the try back when it was the right password, so honest receivers do not use them up', () => {
    const { guard } = guarded();
    for (let i = 0; i < PASSWORD_LIMITS.shareTries - 1; i++) guard.attempt(`name-${i}`);
    for (let i = 0; i < 50; i++) {
      guard.attempt(`honest-${i}`);
      guard.right(`honest-${i}`);
    }
    expect(guard.wait('someone')).toBe(0);
    expect(guard.attempt('someone')).toEqual({ retryInMs: PASSWORD_LIMITS.refillMs });
  });

  it('say how many tries are left, the share’s if fewer than the receiver’s', () => {
    const { guard } = guarded();
    for (let i = 0; i < PASSWORD_LIMITS.shareTries - 2; i++) guard.attempt(`name-${i}`);
    expect(guard.attempt('a')).toEqual({ triesLeft: 1 });
  });

  it('refill fully after a quiet while, and no further', () => {
    const { guard, clock } = guarded();
    for (let i = 0; i < PASSWORD_LIMITS.shareTries; i++) guard.attempt(`name-${i}`);
    clock.now += 100 * PASSWORD_LIMITS.refillMs;
    const verdicts = Array.from({ length: PASSWORD_LIMITS.shareTries }, (_, i) => guard.attempt(`other-${i}`));
    expect(verdicts.slice(0, -1).every((v) => 'triesLeft' in v)).toBe(true);
    expect(verdicts.at(-1)).toEqual({ retryInMs: PASSWORD_LIMITS.refillMs });
  });
});

describe('what the person sending is shown of a receiver’s wrong passwords', () => {
  it('counts them across lockouts, with how long the lockout lasts, and tells a watcher of each change', () => {
    const { guard, clock } = guarded();
    const changed: string[] = [];
    const stop = guard.watch((receiver) => changed.push(receiver));
    /** A try, checked and found wrong. */
    const wrongTry = (receiver: string) => (guard.attempt(receiver), guard.wrong(receiver));
    expect(guard.tally('a')).toBeNull();
    wrongTry('a');
    wrongTry('a');
    expect(guard.tally('a')).toEqual({ wrong: 2, lockedForMs: 0 });
    for (let i = 2; i < PASSWORD_LIMITS.tries; i++) wrongTry('a');
    expect(guard.tally('a')).toEqual({ wrong: 5, lockedForMs: MINUTE });
    clock.now += MINUTE / 2;
    expect(guard.tally('a')).toEqual({ wrong: 5, lockedForMs: MINUTE / 2 });
    clock.now += MINUTE / 2;
    wrongTry('a');
    // Still counted after the lockout, which reset only its tries.
    expect(guard.tally('a')).toEqual({ wrong: 6, lockedForMs: 0 });
    // A try being checked is not shown as wrong: it may be the right one.
    guard.attempt('a');
    expect(guard.tally('a')).toEqual({ wrong: 6, lockedForMs: 0 });
    guard.right('a');
    expect(guard.tally('a')).toBeNull();
    expect(changed).toEqual(Array(7).fill('a'));
    stop();
    wrongTry('b');
    expect(changed).toHaveLength(7);
  });
});
