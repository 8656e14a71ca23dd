/**
 * Whether this device can reach the Ferry server, live (net/presence.ts says how).
 * The app shell opens offline (the service worker keeps it), but sending and
 * receiving need the server to introduce the two browsers, so the views say so
 * instead of failing obscurely. navigator.onLine alone is not enough — it is true on
 * a Wi-Fi without internet — so the server itself is asked whenever there is doubt.
 */
import { Presence } from '../net/presence.ts';
import { probeServer, watchPresence } from '../net/presence-stream.ts';
import { SYSTEM_CLOCK } from '../transfer/clock.ts';

class Connectivity {
  /** Whether the Ferry server answers. */
  online = $state(navigator.onLine);
  /** Whether the device has a network at all, as the browser knows it: which of the two is missing is told apart. */
  network = $state(navigator.onLine);
  readonly #presence = new Presence({
    online: navigator.onLine,
    onchange: (online) => (this.online = online),
    probe: () => probeServer(location.origin),
    watch: (onend) => watchPresence(location.origin, onend),
    clock: SYSTEM_CLOCK,
    random: Math.random,
  });

  constructor() {
    addEventListener('online', () => {
      this.network = true;
      void this.check();
    });
    addEventListener('offline', () => {
      this.network = false;
      this.#presence.networkLost();
    });
    document.addEventListener('visibilitychange', () => this.#presence.setVisible(document.visibilityState === 'visible'));
    this.#presence.setVisible(document.visibilityState === 'visible');
    void this.#presence.start();
  }

  /** Asks the server now; true when it answered. */
  check(): Promise<boolean> {
    return this.#presence.check();
  }

  /**
   * Whether the page holds a broker socket (a share registered): its closing is
   * the sign of a loss, so the presence stream is not needed meanwhile.
   */
  set brokerHeld(held: boolean) {
    this.#presence.setHeld(held);
  }
}

export const connectivity = new Connectivity();
