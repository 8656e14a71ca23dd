/**
 * How many wrong passwords a share takes, and from whom. A receiver is known by its
 * key: it gets a few tries, then waits, longer after each lockout. But anyone
 * with the link can make itself new keys, so the share as a whole also has a bucket of
 * wrong tries that refills slowly, kept with the share so a reload refills nothing.
 * That bounds online guessing however many keys a guesser makes (offline guessing is
 * ruled out by the proof itself: auth.ts).
 *
 * An empty bucket must not lock out the person who knows the password, and a guesser
 * can keep it empty; nor can the share tell that person from a guesser before checking
 * a try. So while it is empty the share is `guessing`: a try is checked only once the
 * person sending lets that receiver try (sender.ts), and such tries are bounded by each
 * receiver's own lockouts, not the bucket.
 */
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
export interface PasswordLimits {
  /** Wrong tries one receiver gets before it is locked out. */
  tries: number;
  /** The first lockout; each further one lasts twice the last, up to maxLockoutMs. */
  lockoutMs: number;
  maxLockoutMs: number;
  /** Wrong tries the whole share may take in a burst… */
  shareTries: number;
  /** …and how often it gets one more. */
  refillMs: number;
}

export const PASSWORD_LIMITS: PasswordLimits = {
  tries: 5,
  lockoutMs: 60_000,
  maxLockoutMs: 60 * 60_000,
  shareTries: 20,
  /** Ten an hour. */
  refillMs: 6 * 60_000,
};

/** The share's bucket as it is saved with the share: tries left, and when it last refilled (wall clock). */
export interface ShareTries {
  left: number;
  refilledAt: number;
}

/** What to tell a receiver after a wrong try: how many it has left, or how long to wait. */
export type Verdict = { triesLeft: number } | { retryInMs: number };

interface Tries {
  wrong: number;
  /** Wrong tries since the receiver last gave the right password, lockouts or not. */
  total: number;
  lockouts: number;
  lockedUntil: number;
  /**
   * What the person sending is shown, as of the last try found wrong (wrong()): a try
   * still being checked may be the right password, and is not shown as a wrong one.
   */
  shown: { total: number; lockedUntil: number } | null;
}

/** What the person sending is shown of one receiver's wrong passwords. */
export interface PasswordTally {
  /** Wrong passwords it gave (since its last right one). */
  wrong: number;
  /** How long its current lockout lasts from now; 0 when it may try now. */
  lockedForMs: number;
}

export class PasswordGuard {
  readonly #limits: PasswordLimits;
  readonly #clock: Clock;
  readonly #receivers = new Map<string, Tries>();
  #tokens: number;
  #refilledAt: number;
  readonly #watchers = new Set<(receiver: string) => void>();
  readonly #onspent: (tries: ShareTries) => void;

  /** `saved`: the share's bucket as it was left (by a page since reloaded); `onspent`: it changed, to be saved. */
  constructor(
    limits: PasswordLimits = PASSWORD_LIMITS,
    clock: Clock = SYSTEM_CLOCK,
    saved?: ShareTries,
    onspent: (tries: ShareTries) => void = () => {},
  ) {
    this.#limits = limits;
    this.#clock = clock;
    this.#tokens = Math.min(saved?.left ?? limits.shareTries, limits.shareTries);
    this.#refilledAt = saved?.refilledAt ?? clock.now();
    this.#onspent = onspent;
  }

  /** How long `receiver` must wait before a try of its counts (0: it may try now). */
  wait(receiver: string): number {
    return Math.ceil(Math.max(0, (this.#receivers.get(receiver)?.lockedUntil ?? 0) - this.#clock.now()));
  }

  /** The share's wrong tries are spent: a try is checked only once the person sending lets its receiver try. */
  get guessing(): boolean {
    this.#refill(this.#clock.now());
    return this.#tokens === 0;
  }

  get saved(): ShareTries {
    return { left: this.#tokens, refilledAt: this.#refilledAt };
  }

  /**
   * Counts a try (made when wait() said it might be) as wrong before it is checked, so
   * tries checked at once on several connections cannot outrun the limits; a right one
   * is handed back with right(). Returns what to tell the receiver if it was wrong.
   * A try the person sending let through while the share is `guessing` costs the
   * receiver, not the share, which has nothing left.
   */
  attempt(receiver: string): Verdict {
    const now = this.#clock.now();
    this.#refill(now);
    this.#spend(-1);
    const record = this.#receivers.get(receiver) ?? { wrong: 0, total: 0, lockouts: 0, lockedUntil: 0, shown: null };
    this.#receivers.set(receiver, record);
    record.wrong += 1;
    record.total += 1;
    if (record.wrong >= this.#limits.tries) {
      record.lockedUntil = now + Math.min(this.#limits.lockoutMs * 2 ** record.lockouts, this.#limits.maxLockoutMs);
      record.lockouts += 1;
      record.wrong = 0;
    }
    const wait = this.wait(receiver);
    return wait > 0 ? { retryInMs: wait } : { triesLeft: this.#limits.tries - record.wrong };
  }

  /** The try was checked and was wrong: the person sending may be shown it now. */
  wrong(receiver: string): void {
    const record = this.#receivers.get(receiver);
    if (!record) return;
    record.shown = { total: record.total, lockedUntil: record.lockedUntil };
    this.#changed(receiver);
  }

  /** The try was the right password: the receiver starts afresh, and the share gets the try back. */
  right(receiver: string): void {
    this.#receivers.delete(receiver);
    this.#spend(1);
    this.#changed(receiver);
  }

  /**
   * `receiver`'s wrong passwords so far, for the person sending; null when it gave
   * none (or gave the right one since). Only tries found wrong count: a right password
   * being checked is never shown, however briefly, as a wrong one.
   */
  tally(receiver: string): PasswordTally | null {
    const shown = this.#receivers.get(receiver)?.shown;
    if (!shown) return null;
    return { wrong: shown.total, lockedForMs: Math.max(0, shown.lockedUntil - this.#clock.now()) };
  }

  /** Calls `watcher` with the receiver whose tally changed, from now until the function returned is called. */
  watch(watcher: (receiver: string) => void): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  #changed(receiver: string): void {
    for (const watcher of this.#watchers) watcher(receiver);
  }

  #spend(change: number): void {
    const tokens = Math.max(0, Math.min(this.#limits.shareTries, this.#tokens + change));
    if (tokens === this.#tokens) return;
    this.#tokens = tokens;
    this.#onspent(this.saved);
  }

  #refill(now: number): void {
    const { shareTries, refillMs } = this.#limits;
    const gained = Math.floor((now - this.#refilledAt) / refillMs);
    if (gained <= 0 && this.#tokens < shareTries) return;
    this.#tokens = Math.min(shareTries, this.#tokens + Math.max(0, gained));
    // A full bucket gains nothing while it waits: its next token is a refill period after it is first dipped into.
    this.#refilledAt = this.#tokens === shareTries ? now : this.#refilledAt + gained * refillMs;
  }
}
