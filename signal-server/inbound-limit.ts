/**
 * What the broker relays to one destination, whoever sends it: every message the
 * broker hands a page is one its browser parses (on a phone, the battery pays), so
 * the messages and bytes one id receives are capped, all senders together. Within
 * that cap each sending address has a share of its own, so one address flooding a
 * sender cannot take the room a real receiver elsewhere needs to dial it.
 */
import { Budget } from './rate-limiter.ts';

export interface InboundLimits {
  /** Messages relayed to one destination per second, after a burst, all senders together. */
  inboundMessagesPerSecond: number;
  inboundMessageBurst: number;
  /** Bytes relayed to one destination per second, after a burst, all senders together. */
  inboundBytesPerSecond: number;
  inboundByteBurst: number;
}

/** One sending address gets this part of each destination's budget. */
const SHARE_PER_SOURCE = 1 / 4;
/** Sending addresses tracked per destination at most; senders quiet long enough make room. */
const MAX_SOURCES = 16;

interface Allowance {
  messages: Budget;
  bytes: Budget;
}

export class InboundLimit {
  readonly #limits: InboundLimits;
  readonly #now: (() => number) | undefined;
  readonly #total: Allowance;
  readonly #sources = new Map<string, Allowance>();

  constructor(limits: InboundLimits, now?: () => number) {
    this.#limits = limits;
    this.#now = now;
    this.#total = this.#allowance(1);
  }

  /**
   * True, and the message counted, if `bytes` more from `source` (an address) fit
   * both its share and the destination's whole budget. A refusal counts nothing.
   */
  allow(source: string, bytes: number): boolean {
    const share = this.#shareOf(source);
    const fits = (allowance: Allowance) => allowance.messages.has(1) && allowance.bytes.has(bytes);
    if (share === undefined || !fits(share) || !fits(this.#total)) return false;
    for (const allowance of [share, this.#total]) {
      allowance.messages.spend(1);
      allowance.bytes.spend(bytes);
    }
    return true;
  }

  #shareOf(source: string): Allowance | undefined {
    let share = this.#sources.get(source);
    if (share !== undefined) return share;
    if (this.#sources.size >= MAX_SOURCES) {
      for (const [known, allowance] of this.#sources) {
        if (allowance.messages.full && allowance.bytes.full) this.#sources.delete(known);
      }
      if (this.#sources.size >= MAX_SOURCES) return undefined;
    }
    share = this.#allowance(SHARE_PER_SOURCE);
    this.#sources.set(source, share);
    return share;
  }

  #allowance(part: number): Allowance {
    const limits = this.#limits;
    const now = this.#now === undefined ? {} : { now: this.#now };
    return {
      messages: new Budget({ ratePerSecond: limits.inboundMessagesPerSecond * part, burst: limits.inboundMessageBurst * part, ...now }),
      bytes: new Budget({ ratePerSecond: limits.inboundBytesPerSecond * part, burst: limits.inboundByteBurst * part, ...now }),
    };
  }
}
