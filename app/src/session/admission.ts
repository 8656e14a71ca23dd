/**
 * Who may hold a seat while they have not yet proved the link's secret.
 *
 * Only holders of the link can offer the sender a connection (the offer carries a
 * ticket, net/peer-guard.ts), but a link can leak, and a holder can offer many. Each
 * one costs an RTCPeerConnection until it ends, so connections that have not proved
 * the secret are capped, each under a deadline, and every one that goes is forgotten.
 *
 * When a new offer would go over the cap, someone must go. Refusing the newcomer
 * would let a handful of offers, renewed before their deadlines, shut the door on
 * everyone; always dropping the oldest would let a fast enough flood evict a real
 * receiver before its channel opens. So the seat is taken from, in this order:
 *
 * 1. the broker identity holding the most seats (the broker stamps each message
 *    with its sender's id, so one flooding client can only ever displace itself);
 * 2. a connection whose channel has been open for `graceMs` without a proof: a
 *    real receiver sends its proof within a round trip of the channel opening;
 * 3. a connection still dialling;
 * 4. a connection whose proof is in flight (open for less than `graceMs`);
 *
 * and, within each, the one that arrived first. A real receiver then loses its seat
 * only to a flood from at least as many broker identities as there are seats,
 * offering faster than its own channel opens (fewer must hold two seats on one
 * identity, and lose those first) — and each of those must hold the link.
 */
import { SYSTEM_CLOCK, type Clock } from '../transfer/clock.ts';

export interface AdmissionLimits {
  /** Connections that have not proved the secret, all broker identities together. */
  seats: number;
  /** From the offer to an open channel. */
  dialMs: number;
  /** An open channel this long without a proof gives its seat to a newcomer. */
  graceMs: number;
  /** From an open channel to the proof; then the connection is dropped. */
  proveMs: number;
}

/**
 * The cap is well above the few receivers a person shares with at once (a crowd
 * arriving together retries through the receiver's own redial), and small enough
 * that a flood costs the page a handful of connections, not hundreds. The proof
 * deadline covers both descriptions and the hello (PeerLink's own timeout is 10 s).
 */
export const ADMISSION = { seats: 8, graceMs: 5_000, proveMs: 10_000 } as const satisfies Partial<AdmissionLimits>;

export type DropReason = 'crowded' | 'dial-timeout' | 'proof-timeout';

export interface Seat {
  /** The channel opened: the proof is in flight. */
  opened(): void;
  /** The secret is proved: the seat is free again, and no deadline applies. */
  proven(): void;
  /** The connection ended for whatever reason: the seat is free again. */
  leave(): void;
}

interface Entry {
  source: string;
  /** Arrival order, for "the one that arrived first". */
  order: number;
  openedAt: number | null;
  /** Cancels the entry's deadline: for dialling, then for its proof. */
  stopTimer: () => void;
  drop: (reason: DropReason) => void;
}

export class Admission {
  readonly #limits: AdmissionLimits;
  readonly #clock: Clock;
  readonly #entries = new Set<Entry>();
  #arrivals = 0;

  constructor(limits: AdmissionLimits, clock: Clock = SYSTEM_CLOCK) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Connections seated that have not proved the secret. */
  get unproven(): number {
    return this.#entries.size;
  }

  /**
   * Seats a connection offered by broker identity `source`, or returns null when it
   * is the one to go (then close it). `drop` is called at most once, later, if the
   * connection must go before its proof: close it then.
   */
  admit(source: string, drop: (reason: DropReason) => void): Seat | null {
    const entry: Entry = { source, order: this.#arrivals++, openedAt: null, drop, stopTimer: () => {} };
    entry.stopTimer = this.#clock.after(this.#limits.dialMs, () => this.#expel(entry, 'dial-timeout'));
    this.#entries.add(entry);
    while (this.#entries.size > this.#limits.seats) {
      const victim = this.#victim();
      if (victim === entry) {
        this.#forget(entry);
        return null;
      }
      this.#expel(victim, 'crowded');
    }
    return {
      opened: () => {
        if (!this.#entries.has(entry) || entry.openedAt !== null) return;
        entry.openedAt = this.#clock.now();
        entry.stopTimer();
        entry.stopTimer = this.#clock.after(this.#limits.proveMs, () => this.#expel(entry, 'proof-timeout'));
      },
      proven: () => this.#forget(entry),
      leave: () => this.#forget(entry),
    };
  }

  /** Forgets every seated connection: the share is closing. */
  clear(): void {
    for (const entry of [...this.#entries]) this.#forget(entry);
  }

  #victim(): Entry {
    const held = new Map<string, number>();
    for (const { source } of this.#entries) held.set(source, (held.get(source) ?? 0) + 1);
    const now = this.#clock.now();
    const stage = (entry: Entry) =>
      entry.openedAt === null ? 1 : now - entry.openedAt >= this.#limits.graceMs ? 0 : 2;
    let victim: Entry | undefined;
    for (const entry of this.#entries) {
      if (!victim) {
        victim = entry;
        continue;
      }
      const byHeld = held.get(entry.source)! - held.get(victim.source)!;
      const byStage = stage(victim) - stage(entry);
      if (byHeld > 0 || (byHeld === 0 && (byStage > 0 || (byStage === 0 && entry.order < victim.order)))) victim = entry;
    }
    return victim!;
  }

  #expel(entry: Entry, reason: DropReason): void {
    if (!this.#forget(entry)) return;
    entry.drop(reason);
  }

  #forget(entry: Entry): boolean {
    entry.stopTimer();
    return this.#entries.delete(entry);
  }
}
