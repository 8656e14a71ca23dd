/**
 * How many connections each client address has open, for a cap per address. Only
 * addresses with something open are kept, so the table is bounded by the
 * connections themselves.
 */
export class AddressCounts {
  readonly #counts = new Map<string, number>();
  #total = 0;

  /** Connections open, all addresses together. */
  get total(): number {
    return this.#total;
  }

  /** Connections `address` has open. */
  of(address: string): number {
    return this.#counts.get(address) ?? 0;
  }

  /** `address` opened one more connection. */
  opened(address: string): void {
    this.#counts.set(address, this.of(address) + 1);
    this.#total += 1;
  }

  /** One connection of `address`, counted by opened(), has closed. */
  closed(address: string): void {
    const left = (this.#counts.get(address) ?? 1) - 1;
    this.#total -= 1;
    if (left > 0) this.#counts.set(address, left);
    else this.#counts.delete(address);
  }
}
