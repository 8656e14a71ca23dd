/**
 * What a share asks of each receiver before it says anything about its files: the
 * password, if one is set, then the sender's approval, if "ask me first" is on. Who
 * has passed each is remembered by the receiver's public key, which it proves it holds
 * on every connection (auth.ts proveReceiverKey), so a receiver that reconnects, or
 * comes back after the sender's page reloads, is not asked again, and another holder
 * of the link who copies the key, or anything else a receiver says, is.
 */
import type { GateNeed } from './messages.ts';
import { PasswordGuard } from './password-guard.ts';

/** A share's gate as it is saved with the share. Never the password itself: only its key (auth.ts passwordKey). */
export interface GateSettings {
  passwordKey: string | null;
  askFirst: boolean;
  /** Keys of receivers that gave the right password. */
  passed: string[];
  /** Keys of receivers the person allowed. */
  allowed: string[];
}

export const OPEN_GATE: GateSettings = { passwordKey: null, askFirst: false, passed: [], allowed: [] };

export class ShareGate {
  #passwordKey: string | null;
  #askFirst: boolean;
  readonly #passed: Set<string>;
  readonly #allowed: Set<string>;
  readonly #onchange: (settings: GateSettings) => void;
  /** Wrong passwords, per receiver and for the whole share (whose count the share's record keeps). */
  readonly guard: PasswordGuard;

  constructor(settings: GateSettings = OPEN_GATE, onchange: (settings: GateSettings) => void = () => {}, guard = new PasswordGuard()) {
    this.#passwordKey = settings.passwordKey;
    this.#askFirst = settings.askFirst;
    this.#passed = new Set(settings.passed);
    this.#allowed = new Set(settings.allowed);
    this.#onchange = onchange;
    this.guard = guard;
  }

  get passwordKey(): string | null {
    return this.#passwordKey;
  }

  /**
   * Asks receivers from now on for the password whose key is `key`. Those whose keys
   * are in `through` already got past the gate without one: they are remembered as
   * having passed it, and are not asked when they reconnect.
   */
  setPassword(key: string, through: Iterable<string>): void {
    this.#passwordKey = key;
    for (const receiverKey of through) this.#passed.add(receiverKey);
    this.#changed();
  }

  get askFirst(): boolean {
    return this.#askFirst;
  }

  set askFirst(on: boolean) {
    this.#askFirst = on;
    this.#changed();
  }

  get settings(): GateSettings {
    return { passwordKey: this.#passwordKey, askFirst: this.#askFirst, passed: [...this.#passed], allowed: [...this.#allowed] };
  }

  /**
   * What the receiver whose key is `receiverKey` must still do, or null when it may have
   * the files. `receiverKey` must be a key it proved it holds on this connection; `cleared`
   * is what it did on this connection: a receiver without a key cannot be remembered.
   */
  need(receiverKey: string | null, cleared: ReadonlySet<GateNeed>): GateNeed | null {
    if (this.#passwordKey !== null && !cleared.has('password') && !(receiverKey !== null && this.#passed.has(receiverKey))) return 'password';
    if (this.#askFirst && !cleared.has('approval') && !(receiverKey !== null && this.#allowed.has(receiverKey))) return 'approval';
    return null;
  }

  /** The receiver whose key is `receiverKey` cleared `need`: remember it. */
  clear(need: GateNeed, receiverKey: string | null): void {
    if (receiverKey === null) return;
    (need === 'password' ? this.#passed : this.#allowed).add(receiverKey);
    this.#changed();
  }

  #changed(): void {
    this.#onchange(this.settings);
  }
}
