/**
 * Messages for an id that is not connected, held for a few seconds in case its
 * owner is just reconnecting (a sender's page reloading while a receiver dials),
 * then answered with EXPIRE so the dialler hears "peer unavailable" instead of
 * waiting. `peer` holds such messages itself, without any bound: six 40 MiB
 * messages to ids nobody owns held 370 MiB. Here every queue, and all of them
 * together, are capped; a message that does not fit is answered at once.
 */

export interface HeldMessage {
  src: string;
  dst: string;
  /** The message as it will be sent, JSON. */
  text: string;
  /** For an OFFER, its connection: the destination owes replies on it once it is delivered. */
  offer?: string;
}

export interface HeldMessagesOptions {
  /** How long a destination's messages wait for it before they expire. */
  holdMs: number;
  /** Messages held for one destination at most (an honest dial is an offer and a dozen candidates). */
  maxPerDestination: number;
  /** Bytes held for one destination at most. */
  maxBytesPerDestination: number;
  /** Bytes held for all destinations together at most. */
  maxTotalBytes: number;
  now?: () => number;
}

interface Queue {
  messages: HeldMessage[];
  bytes: number;
  expires: number;
}

export class HeldMessages {
  readonly #options: HeldMessagesOptions;
  readonly #now: () => number;
  /** In the order queues were started, which is the order they expire. */
  readonly #queues = new Map<string, Queue>();
  #bytes = 0;

  constructor(options: HeldMessagesOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Bytes held in all. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Holds `message` for its destination; false when a cap leaves no room for it. */
  hold(message: HeldMessage): boolean {
    const size = message.text.length;
    const { maxPerDestination, maxBytesPerDestination, maxTotalBytes } = this.#options;
    let queue = this.#queues.get(message.dst);
    if (this.#bytes + size > maxTotalBytes) return false;
    if (queue && (queue.messages.length >= maxPerDestination || queue.bytes + size > maxBytesPerDestination)) return false;
    if (!queue) {
      if (size > maxBytesPerDestination) return false;
      queue = { messages: [], bytes: 0, expires: this.#now() + this.#options.holdMs };
      this.#queues.set(message.dst, queue);
    }
    queue.messages.push(message);
    queue.bytes += size;
    this.#bytes += size;
    return true;
  }

  /** Everything held for `dst`, which just connected, in the order it came. */
  take(dst: string): HeldMessage[] {
    const queue = this.#queues.get(dst);
    if (!queue) return [];
    this.#queues.delete(dst);
    this.#bytes -= queue.bytes;
    return queue.messages;
  }

  /**
   * Drops queues whose time is up and returns who should hear so: one entry per
   * (sender, destination) pair, to be answered with EXPIRE.
   */
  expire(): Array<{ src: string; dst: string }> {
    const now = this.#now();
    const expired: Array<{ src: string; dst: string }> = [];
    for (const [dst, queue] of this.#queues) {
      if (queue.expires > now) break;
      this.#queues.delete(dst);
      this.#bytes -= queue.bytes;
      for (const src of new Set(queue.messages.map((message) => message.src))) expired.push({ src, dst });
    }
    return expired;
  }
}
