import { describe, expect, it } from 'vitest';
import { PASSWORD_LIMITS, PasswordGuard } from '../../app/src/transfer/password-guard.ts';
import { ManualClock } from './manual-clock.ts';

const MINUTE = 60_000;

function guarded() {
  const clock = new ManualClock(1_000_000);
  const guard = new PasswordGuard(PASSWORD_LIMITS, clock);
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
      clock.advance(guard.wait('a'));
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
  /** Wrong tries by as many names, each trying once: none is ever locked out by its own tries. */
  const spend = (guard: PasswordGuard, tries: number, prefix = 'name') => {
    for (let i = 0; i < tries; i++) guard.attempt(`${prefix}-${i}`);
  };

  it('once spent by receivers that change their names, mean someone is guessing, until one refills; nobody is told to wait for it', () => {
    const { guard, clock } = guarded();
    spend(guard, PASSWORD_LIMITS.shareTries - 1);
    expect(guard.guessing).toBe(false);
    // The last one: the receiver hears only of its own tries.
    expect(guard.attempt('last')).toEqual({ triesLeft: PASSWORD_LIMITS.tries - 1 });
    expect(guard.guessing).toBe(true);
    expect(guard.wait('someone-new')).toBe(0);
    clock.advance(PASSWORD_LIMITS.refillMs - 1);
    expect(guard.guessing).toBe(true);
    clock.advance(1);
    expect(guard.guessing).toBe(false);
    // One try came back, not twenty.
    guard.attempt('someone-new');
    expect(guard.guessing).toBe(true);
  });

  it('get the try back when it was the right password, so honest receivers do not use them up', () => {
    const { guard } = guarded();
    spend(guard, PASSWORD_LIMITS.shareTries - 1);
    for (let i = 0; i < 50; i++) {
      guard.attempt(`honest-${i}`);
      guard.right(`honest-${i}`);
    }
    expect(guard.guessing).toBe(false);
    guard.attempt('someone');
    expect(guard.guessing).toBe(true);
  });

  it('refill fully after a quiet while, and no further', () => {
    const { guard, clock } = guarded();
    spend(guard, PASSWORD_LIMITS.shareTries);
    clock.advance(100 * PASSWORD_LIMITS.refillMs);
    spend(guard, PASSWORD_LIMITS.shareTries - 1, 'other');
    expect(guard.guessing).toBe(false);
    guard.attempt('one-more');
    expect(guard.guessing).toBe(true);
  });

  it('are bounded to 20 at once and 10 an hour', () => {
    expect(PASSWORD_LIMITS.shareTries).toBe(20);
    expect((60 * MINUTE) / PASSWORD_LIMITS.refillMs).toBe(10);
  });

  it('stay spent when the page reloads: a guard made from what was saved is still guessing', () => {
    const { clock } = guarded();
    let saved;
    const guard = new PasswordGuard(PASSWORD_LIMITS, clock, undefined, (tries) => (saved = tries));
    spend(guard, PASSWORD_LIMITS.shareTries);
    clock.advance(MINUTE);
    const reloaded = new PasswordGuard(PASSWORD_LIMITS, clock, saved);
    expect(reloaded.guessing).toBe(true);
    clock.advance(PASSWORD_LIMITS.refillMs);
    expect(reloaded.guessing).toBe(false);
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
    clock.advance(MINUTE / 2);
    expect(guard.tally('a')).toEqual({ wrong: 5, lockedForMs: MINUTE / 2 });
    clock.advance(MINUTE / 2);
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
