/**
 * What each receiver of a share acknowledged (transfer/delivery.ts), by the receiver's
 * key, kept with the share so that a receiver resuming after the sender's page
 * reloaded is counted with the files it verified before. Only receivers under way are
 * kept: one that finished is noted as such in the share's life, and the oldest go past
 * MAX_DELIVERIES.
 */
import { Delivery } from '../transfer/delivery.ts';

/** Receivers under way whose deliveries are kept: as many as a share has rows. */
export const MAX_DELIVERIES = 200;

/** Per receiver key, the files it verified. */
export type SavedDeliveries = Record<string, number[]>;

export class Deliveries {
  /** In the order each first verified a file: the first to go is the oldest. */
  readonly #byReceiver = new Map<string, Delivery>();
  readonly #onchange: () => void;

  /** `onchange`: something changed, to be saved (read `saved` then). */
  constructor(saved: SavedDeliveries = {}, onchange: () => void = () => {}) {
    this.#onchange = onchange;
    for (const [receiverKey, verified] of Object.entries(saved)) this.#byReceiver.set(receiverKey, new Delivery(verified, this.#onchange));
  }

  /**
   * The delivery of the receiver whose key is `receiverKey`; a receiver without one has its
   * connection's alone. It is kept from its first receipt on: callers that never got a file whole
   * (a guesser at the password, say) take no place.
   */
  of(receiverKey: string | null): Delivery {
    if (receiverKey === null) return new Delivery();
    const known = this.#byReceiver.get(receiverKey);
    if (known) return known;
    const delivery: Delivery = new Delivery([], () => {
      if (!this.#byReceiver.has(receiverKey)) this.#add(receiverKey, delivery);
      this.#onchange();
    });
    return delivery;
  }

  /** The receiver has everything: nothing more to hold it to. */
  forget(receiverKey: string): void {
    if (this.#byReceiver.delete(receiverKey)) this.#onchange();
  }

  get saved(): SavedDeliveries {
    return Object.fromEntries([...this.#byReceiver].map(([receiverKey, delivery]) => [receiverKey, delivery.verified]));
  }

  /** Keeps `delivery`, letting the oldest go past MAX_DELIVERIES. */
  #add(receiverKey: string, delivery: Delivery): void {
    this.#byReceiver.set(receiverKey, delivery);
    for (const oldest of this.#byReceiver.keys()) {
      if (this.#byReceiver.size <= MAX_DELIVERIES) break;
      this.#byReceiver.delete(oldest);
    }
  }
}
