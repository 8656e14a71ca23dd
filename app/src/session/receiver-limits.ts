/**
 * How many receivers that proved the link one share serves at once, and for how long
 * one may wait at each step before the files move. Each is a real connection on the
 * sender's device (an RTCPeerConnection in a page, perhaps a phone's), and holding the
 * link is not much of a credential once it leaks: without bounds, connections parked
 * at the password gate would pile up for as long as their holder liked.
 */
import type { SenderState } from '../transfer/sender.ts';

export const RECEIVER_LIMITS = {
  /** Receivers that proved the link, connected at once; the next is told the share is busy. */
  perShare: 200,
  /** Of those, from one broker identity: a receiver holds one connection, two while it reconnects. */
  perIdentity: 4,
} as const;

/**
 * How long a receiver may stay in each waiting state before it is told it waited too
 * long and hung up on: at the password (a person types it in seconds, and lockouts
 * are waited out as well on a new connection), waiting for the person sending to allow
 * it, and holding the list of files without asking for any.
 */
export const IDLE_LIMITS_MS: Partial<Record<SenderState, number>> = {
  password: 10 * 60_000,
  approval: 10 * 60_000,
  waiting: 30 * 60_000,
};

/** The receivers a share serves, counted per share and per broker identity. */
export class ReceiverSeats {
  readonly #bySource = new Map<string, number>();
  #total = 0;

  /** A seat for a receiver from `source`, or null when there is none: its release, to call once it ends. */
  take(source: string): (() => void) | null {
    const held = this.#bySource.get(source) ?? 0;
    if (this.#total >= RECEIVER_LIMITS.perShare || held >= RECEIVER_LIMITS.perIdentity) return null;
    this.#bySource.set(source, held + 1);
    this.#total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = this.#bySource.get(source)! - 1;
      if (left === 0) this.#bySource.delete(source);
      else this.#bySource.set(source, left);
    };
  }
}
