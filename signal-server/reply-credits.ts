/**
 * Replies owed for relayed offers. A page that admits an offer sends back an ANSWER
 * and a few CANDIDATEs; those are the consequence of someone else's offer, so they
 * do not count against the answering socket's own message budget — or anyone who
 * can reach a sender could make it spend its budget and lose the broker. Each
 * relayed offer grants its destination a bounded number of replies to the offerer,
 * on the offer's connection, for a while. How many offers one destination is sent
 * is capped (inbound-limit.ts), and so are the grants kept in all: past that the
 * oldest go, and their replies count as the answerer's own again.
 */

/** An ANSWER and the CANDIDATEs of every interface and transport a browser gathers. */
export const REPLIES_PER_OFFER = 32;

export interface ReplyCreditsOptions {
  /** How long after the offer its replies are owed: ICE gathering, relays included, takes seconds. */
  windowMs: number;
  /** Grants kept at most, all destinations together; the oldest goes first. */
  maxGrants: number;
  now?: () => number;
}

interface Grant {
  left: number;
  until: number;
}

export class ReplyCredits {
  readonly #options: ReplyCreditsOptions;
  readonly #now: () => number;
  /** `answerer \n offerer \n connection` → replies left, oldest grant first (Map order, which is also expiry order). */
  readonly #grants = new Map<string, Grant>();

  constructor(options: ReplyCreditsOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Grants held now. */
  get size(): number {
    return this.#grants.size;
  }

  /** An offer from `offerer` on `connection` reached `answerer`. */
  grant(answerer: string, offerer: string, connection: string): void {
    const key = `${answerer}\n${offerer}\n${connection}`;
    this.#grants.delete(key);
    this.#grants.set(key, { left: REPLIES_PER_OFFER, until: this.#now() + this.#options.windowMs });
    if (this.#grants.size > this.#options.maxGrants) this.#grants.delete(this.#grants.keys().next().value!);
  }

  /** True, and one reply used, if `answerer` still owes `offerer` a reply on `connection`. */
  use(answerer: string, offerer: string, connection: string): boolean {
    const key = `${answerer}\n${offerer}\n${connection}`;
    const grant = this.#grants.get(key);
    if (grant === undefined) return false;
    if (grant.until <= this.#now()) {
      this.#grants.delete(key);
      return false;
    }
    if (--grant.left === 0) this.#grants.delete(key);
    return true;
  }

  /** Forgets grants whose time is up; stops at the first still running. */
  sweep(): void {
    const now = this.#now();
    for (const [key, grant] of this.#grants) {
      if (grant.until > now) break;
      this.#grants.delete(key);
    }
  }
}
