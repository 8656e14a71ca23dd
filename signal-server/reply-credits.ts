/**
 * Replies a socket owes for offers relayed to it. A page that admits an offer sends
 * back an ANSWER and a few CANDIDATEs; those are the consequence of someone else's
 * offer, so they do not count against the answering socket's own message budget —
 * or anyone who can reach a sender could make it spend its budget and lose the
 * broker. Each relayed offer grants a bounded number of replies to its offerer, on
 * its connection; a socket keeps a bounded number of such grants.
 */

/** An ANSWER and the CANDIDATEs of every interface and transport a browser gathers. */
export const REPLIES_PER_OFFER = 32;
/** Grants kept per socket; the oldest goes first. */
const MAX_GRANTS = 64;

export class ReplyCredits {
  /** `offerer \n connectionId` → replies left, oldest grant first (Map order). */
  readonly #grants = new Map<string, number>();

  /** An offer from `offerer` on `connectionId` reached this socket. */
  grant(offerer: string, connectionId: string): void {
    const key = `${offerer}\n${connectionId}`;
    this.#grants.delete(key);
    this.#grants.set(key, REPLIES_PER_OFFER);
    if (this.#grants.size > MAX_GRANTS) this.#grants.delete(this.#grants.keys().next().value!);
  }

  /** True, and one reply used, if a reply to `offerer` on `connectionId` is still owed. */
  use(offerer: string, connectionId: string): boolean {
    const key = `${offerer}\n${connectionId}`;
    const left = this.#grants.get(key);
    if (left === undefined) return false;
    if (left <= 1) this.#grants.delete(key);
    else this.#grants.set(key, left - 1);
    return true;
  }
}
