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
  /** In the order they were first asked for: the first to go is the oldest. */
  readonly #bySession = new Map<string, Delivery>();
  readonly #onchange: () => void;

  /** `onchange`: something changed, to be saved (read `saved` then). */
  constructor(saved: SavedDeliveries = {}, onchange: () => void = () => {}) {
    this.#onchange = onchange;
    for (const [session, verified] of Object.entries(saved)) this.#bySession.set(session, this.#delivery(verified));
  }

  /** The delivery of the receiver named `session`; a nameless one's is its connection's alone. */
  of(session: string | null): Delivery {
    if (session === null) return new Delivery();
    let delivery = this.#bySession.get(session);
    if (!delivery) {
      delivery = this.#delivery();
      this.#bySession.set(session, delivery);
      for (const oldest of this.#bySession.keys()) {
        if (this.#bySession.size <= MAX_DELIVERIES) break;
        this.#bySession.delete(oldest);
      }
    }
    return delivery;
  }

  /** The receiver has everything: nothing more to hold it to. */
  forget(session: string): void {
    if (this.#bySession.delete(session)) this.#onchange();
  }

  get saved(): SavedDeliveries {
    return Object.fromEntries([...this.#bySession].map(([session, delivery]) => [session, delivery.verified]));
  }

  #delivery(verified?: readonly number[]): Delivery {
    return new Delivery(verified, this.#onchange);
  }
}
