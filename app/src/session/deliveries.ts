/**
 * What each receiver of a share acknowledged (transfer/delivery.ts), by its session
 * name, kept with the share so that a receiver resuming after the sender's page
 * reloaded is counted with the files it verified before. Only receivers under way are
 * kept: one that finished is noted as such in the share's life, and the oldest go past
 * MAX_DELIVERIES.
 */
import { Delivery } from '../transfer/delivery.ts';

/** Receivers under way whose deliveries are kept: as many as a share has rows. */
export const MAX_DELIVERIES = 200;

/** Per session name, the files it verified. */
export type SavedDeliveries = Record<string, number[]>;

export class Deliveries {
  /** In the order each first verified a file: the first to go is the oldest. */
  readonly #bySession = new Map<string, Delivery>();
  readonly #onchange: () => void;

  /** `onchange`: something changed, to be saved (read `saved` then). */
  constructor(saved: SavedDeliveries = {}, onchange: () => void = () => {}) {
    this.#onchange = onchange;
    for (const [session, verified] of Object.entries(saved)) this.#bySession.set(session, new Delivery(verified, this.#onchange));
  }

  /**
   * The delivery of the receiver named `session`; a nameless one's is its connection's
   * alone. It is kept from its first receipt on: callers that never got a file whole
   * (a guesser at the password, say) take no place.
   */
  of(session: string | null): Delivery {
    if (session === null) return new Delivery();
    const known = this.#bySession.get(session);
    if (known) return known;
    const delivery: Delivery = new Delivery([], () => {
      if (!this.#bySession.has(session)) this.#keep(session, delivery);
      this.#onchange();
    });
    return delivery;
  }

  /** The receiver has everything: nothing more to hold it to. */
  forget(session: string): void {
    if (this.#bySession.delete(session)) this.#onchange();
  }

  get saved(): SavedDeliveries {
    return Object.fromEntries([...this.#bySession].map(([session, delivery]) => [session, delivery.verified]));
  }

  #keep(session: string, delivery: Delivery): void {
    this.#bySession.set(session, delivery);
    for (const oldest of this.#bySession.keys()) {
      if (this.#bySession.size <= MAX_DELIVERIES) break;
      this.#bySession.delete(oldest);
    }
  }
}
