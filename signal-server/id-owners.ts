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
  /** The socket the id is reached on now. */
  socket: S;
}

interface Reservation {
  token: string;
  /** When it ends. */
  until: number;
}

export class IdOwners<S> {
  readonly #options: IdOwnersOptions;
  readonly #now: () => number;
  /** Ids whose owner is connected. */
  readonly #connected = new Map<string, Owner<S>>();
  /**
   * Ids waiting for their owner, in the order their grace began (Map order), and so
   * in the order it ends: a sweep stops at the first still running, and never walks
   * the connected ids (tens of thousands on a busy broker, every second).
   */
  readonly #reserved = new Map<string, Reservation>();

  constructor(options: IdOwnersOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Ids held by a connected client. */
  get connected(): number {
    return this.#connected.size;
  }

  /** Ids waiting for their owner to come back. */
  get reserved(): number {
    return this.#reserved.size;
  }

  /** Whether a client presenting `token` may use `id` now. */
  mayUse(id: string, token: string): boolean {
    const owner = this.#connected.get(id) ?? this.#reservation(id);
    return owner === undefined || owner.token === token;
  }

  /** Whether `id` has an owner now: connected, or within its grace period. */
  isHeld(id: string): boolean {
    return this.#connected.has(id) || this.#reservation(id) !== undefined;
  }

  /** `socket` now reaches `id`, which `token` owns (call only after mayUse said yes). */
  attach(id: string, token: string, socket: S): void {
    this.#reserved.delete(id);
    this.#connected.set(id, { token, socket });
  }

  /** `socket` closed. If it was how `id` was reached, the id becomes reserved for a while. */
  detach(id: string, socket: S): void {
    const owner = this.#connected.get(id);
    if (owner === undefined || owner.socket !== socket) return;
    this.#connected.delete(id);
    this.#reserved.set(id, { token: owner.token, until: this.#now() + this.#options.graceMs });
    if (this.#reserved.size > this.#options.maxReserved) this.#reserved.delete(this.#reserved.keys().next().value!);
  }

  /** The socket reaching `id`, if its owner is connected. */
  socketOf(id: string): S | undefined {
    return this.#connected.get(id)?.socket;
  }

  /** Forgets reservations whose grace period is over; stops at the first that still runs. */
  sweep(): void {
    const now = this.#now();
    for (const [id, reservation] of this.#reserved) {
      if (reservation.until > now) break;
      this.#reserved.delete(id);
    }
  }

  #reservation(id: string): Reservation | undefined {
    const reservation = this.#reserved.get(id);
    if (reservation !== undefined && reservation.until <= this.#now()) {
      this.#reserved.delete(id);
      return undefined;
    }
    return reservation;
  }
}
