/**
 * Which token owns which broker id, including for a while after it disconnects.
 *
 * A sender's id is in its share link, so anyone holding the link knows it. `peer`
 * forgets an id the moment its socket closes, and the next client to ask gets it:
 * a page reload or a phone changing networks would be enough for someone else to
 * take over the link. Here an id stays reserved for the token that held it for a
 * grace period, so its owner — and only its owner — gets it back.
 */

export interface IdOwnersOptions {
  /** How long an id stays reserved for its token after its last socket closed. */
  graceMs: number;
  /** Reserved (disconnected) ids kept at most; the oldest reservation goes first. */
  maxReserved: number;
  /** Milliseconds on a monotonic clock; tests pass their own. */
  now?: () => number;
}

interface Owner<S> {
  token: string;
  /** The socket the id is reached on now, or null while only reserved. */
  socket: S | null;
  /** When a reservation ends (meaningful while `socket` is null). */
  until: number;
}

export class IdOwners<S> {
  readonly #options: IdOwnersOptions;
  readonly #now: () => number;
  /** Live ids and reservations; reservations in the order they began (Map order). */
  readonly #owners = new Map<string, Owner<S>>();
  #reserved = 0;

  constructor(options: IdOwnersOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Ids held by a connected client. */
  get connected(): number {
    return this.#owners.size - this.#reserved;
  }

  /** Ids waiting for their owner to come back. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Whether a client presenting `token` may use `id` now. */
  mayUse(id: string, token: string): boolean {
    const owner = this.#current(id);
    return owner === undefined || owner.token === token;
  }

  /** `socket` now reaches `id`, which `token` owns (call only after mayUse said yes). */
  attach(id: string, token: string, socket: S): void {
    const owner = this.#current(id);
    if (owner?.socket === null) this.#reserved -= 1;
    // Re-inserted so that Map order stays the order reservations begin.
    this.#owners.delete(id);
    this.#owners.set(id, { token, socket, until: Infinity });
  }

  /** `socket` closed. If it was how `id` was reached, the id becomes reserved for a while. */
  detach(id: string, socket: S): void {
    const owner = this.#owners.get(id);
    if (owner === undefined || owner.socket !== socket) return;
    this.#owners.delete(id);
    this.#owners.set(id, { token: owner.token, socket: null, until: this.#now() + this.#options.graceMs });
    this.#reserved += 1;
    if (this.#reserved > this.#options.maxReserved) this.#dropOldestReservation();
  }

  /** The socket reaching `id`, if its owner is connected. */
  socketOf(id: string): S | undefined {
    return this.#owners.get(id)?.socket ?? undefined;
  }

  /** Forgets reservations whose grace period is over; stops at the first that still runs. */
  sweep(): void {
    const now = this.#now();
    for (const [id, owner] of this.#owners) {
      if (owner.socket !== null) continue;
      if (owner.until > now) break; // reservations begin, and so end, in Map order
      this.#owners.delete(id);
      this.#reserved -= 1;
    }
  }

  #current(id: string): Owner<S> | undefined {
    const owner = this.#owners.get(id);
    if (owner?.socket === null && owner.until <= this.#now()) {
      this.#owners.delete(id);
      this.#reserved -= 1;
      return undefined;
    }
    return owner;
  }

  #dropOldestReservation(): void {
    for (const [id, owner] of this.#owners) {
      if (owner.socket !== null) continue;
      this.#owners.delete(id);
      this.#reserved -= 1;
      return;
    }
  }
}
