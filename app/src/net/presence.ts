/**
 * Whether the Ferry server is there, kept live at little cost to the server, from
 * what the page already has before anything it must ask:
 *
 * - a page holding a broker socket (a share being offered) hears of a loss when
 *   that socket closes (`suspect`), and needs nothing else;
 * - a visible page without one holds the server's presence stream (common/presence-wire.ts),
 *   which closes the moment the server goes: one idle socket and a heartbeat every
 *   20 s per page, where polling fast enough to notice within seconds would be a
 *   request every few seconds from every open page;
 * - the browser's `online`/`offline` events, and the page becoming visible again;
 * - only while the server is out of reach does the page ask it, every 1–4 s (with
 *   jitter, so that pages do not return all at once) until it answers — and says so
 *   at once. A hidden page stops asking until it is seen again.
 *
 * Any ending of the stream is checked with one request before it counts: one of
 * several processes restarting, or a proxy's timeout, is no loss of the server. A
 * stream the server refuses (too many from one address) is tried again only after a
 * growing wait; the page then relies on the events above.
 *
 * Free of frameworks: the page passes in how to ask and how to listen.
 */
import type { Clock } from '../transfer/clock.ts';

/** Waits between checks while the server is out of reach; the last one repeats. */
export const RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 2000, 3000, 4000];
/** Waits before opening the stream again after the server refused it, in a row; the last one repeats. */
export const REFUSED_STREAM_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000];

export interface PresencePorts {
  /** Asks the server once: true when it answered. Never rejects. */
  probe(): Promise<boolean>;
  /**
   * Opens the presence stream. `onend` is called once, if it ends other than by the
   * function returned: `opened` says whether it had been accepted.
   */
  watch(onend: (opened: boolean) => void): () => void;
  /** What the waits between checks and between streams are timed by. */
  clock: Clock;
  /** In [0, 1): spreads the checks of many pages. */
  random(): number;
}

export interface PresenceOptions extends PresencePorts {
  /** What the page believes at first (the browser's `navigator.onLine`). */
  online: boolean;
  onchange(online: boolean): void;
}

/** The wait before check number `failures` + 1: the schedule's step, shortened by up to a quarter. */
export function retryDelay(failures: number, random: number): number {
  const base = RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)]!;
  return Math.round(base * (1 - random / 4));
}

export class Presence {
  readonly #ports: PresencePorts;
  readonly #onchange: (online: boolean) => void;
  #online: boolean;
  #visible = true;
  /** A broker socket stands in for the stream. */
  #held = false;
  #stopStream: (() => void) | null = null;
  #stopRetry = () => {};
  #failures = 0;
  #refusals = 0;
  /** The check under way; a second reason to check joins it. */
  #checking: Promise<boolean> | null = null;

  constructor({ online, onchange, ...ports }: PresenceOptions) {
    this.#ports = ports;
    this.#online = online;
    this.#onchange = onchange;
  }

  get online(): boolean {
    return this.#online;
  }

  /** Starts listening: checks at once, then keeps the stream while online. */
  start(): Promise<boolean> {
    return this.check();
  }

  /** Asks the server now (something suggests it went or came back): true when it answered. */
  check(): Promise<boolean> {
    this.#stopRetry();
    this.#checking ??= this.#ports.probe().then((answered) => {
      this.#checking = null;
      this.#answered(answered);
      return answered;
    });
    return this.#checking;
  }

  /** The device lost its network: nothing can reach the server until it is back. */
  networkLost(): void {
    this.#set(false);
    this.#stopStreaming();
    this.#retryLater();
  }

  /** The page was hidden or shown: a hidden page holds no stream and asks nothing. */
  setVisible(visible: boolean): void {
    if (visible === this.#visible) return;
    this.#visible = visible;
    if (visible) void this.check();
    else {
      this.#stopStreaming();
      this.#stopRetry();
    }
  }

  /**
   * Whether a broker socket is open, whose closing tells of a loss (then call check).
   * One that opened shows the server is there, also to a hidden page that stopped asking.
   */
  setHeld(held: boolean): void {
    this.#held = held;
    if (!held) return this.#startStream();
    this.#stopRetry();
    this.#failures = 0;
    this.#stopStreaming();
    this.#set(true);
  }

  #answered(answered: boolean): void {
    this.#set(answered);
    if (answered) {
      this.#failures = 0;
      this.#startStream();
      return;
    }
    this.#stopStreaming();
    this.#retryLater();
  }

  #retryLater(): void {
    this.#stopRetry();
    if (!this.#visible) return;
    const delay = retryDelay(this.#failures++, this.#ports.random());
    this.#stopRetry = this.#ports.clock.after(delay, () => void this.check());
  }

  /** Opens the /presence stream, unless one is open or may not be (offline, hidden, a broker socket held); after a wait once refused. */
  #startStream(): void {
    if (this.#stopStream || !this.#online || !this.#visible || this.#held) return;
    if (this.#refusals > 0) {
      // Refused: open it again only after a wait, whatever else happens meanwhile.
      const wait = REFUSED_STREAM_DELAYS_MS[Math.min(this.#refusals, REFUSED_STREAM_DELAYS_MS.length) - 1]!;
      const stop = this.#ports.clock.after(wait, () => {
        this.#stopStream = null;
        this.#open();
      });
      this.#stopStream = stop;
      return;
    }
    this.#open();
  }

  #open(): void {
    if (!this.#online || !this.#visible || this.#held) return;
    let stop = () => {};
    const ended = (opened: boolean) => {
      if (this.#stopStream === stop) this.#stopStream = null;
      this.#refusals = opened ? 0 : this.#refusals + 1;
      void this.check();
    };
    stop = this.#ports.watch(ended);
    this.#stopStream = stop;
  }

  /** Closes the /presence stream, if one is open or waiting to open. */
  #stopStreaming(): void {
    const stop = this.#stopStream;
    this.#stopStream = null;
    stop?.();
  }

  #set(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    this.#onchange(online);
  }
}
