/**
 * The service worker's registration and the "Update" offer. A new version of Ferry
 * installs in the background and then waits: switching under a running transfer or
 * a half-filled form would surprise people, so it takes over only when the person
 * chooses "Update" — then the page reloads into it.
 */
import { Workbox } from 'workbox-window';
import type { PageMessage } from '../common/sw-messages.ts';

/** How often an app left open looks for a new version. */
const CHECK_INTERVAL_MS = 60 * 60_000;

class AppUpdate {
  /** A new version is installed and waiting for the person to choose "Update". */
  available = $state(false);
  /**
   * Why this page has no service worker, when it should: `insecure` — not HTTPS, so
   * the browser offers none; `unavailable` — a secure page where the browser still
   * offers none (some private windows); `refused` — registering failed, most often
   * because the browser does not fully trust the certificate (one accepted past a
   * warning). Each way: no install, no offline shell, no share target, no streamed saves.
   */
  limited = $state<'insecure' | 'unavailable' | 'refused' | null>(null);
  /** A service worker controls this page: it can stream downloads and works offline. */
  controlled = $state(typeof navigator !== 'undefined' && navigator.serviceWorker?.controller != null);
  #workbox: Workbox | null = null;

  /** Registers /sw.js where service workers exist (secure contexts, not the dev server). */
  register(): void {
    if (import.meta.env.DEV) return;
    if (!('serviceWorker' in navigator)) {
      this.limited = isSecureContext ? 'unavailable' : 'insecure';
      return;
    }
    const workbox = new Workbox('/sw.js');
    this.#workbox = workbox;
    workbox.addEventListener('waiting', () => (this.available = true));
    navigator.serviceWorker.addEventListener('controllerchange', () => (this.controlled = navigator.serviceWorker.controller != null));
    workbox.register().catch((error: unknown) => {
      console.warn('Ferry works, but not offline: the service worker did not register', error);
      this.limited = 'refused';
    });
    const check = () => void workbox.update().catch(() => {});
    // Browsers check on navigation; an installed app may stay open for days instead.
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
    setInterval(check, CHECK_INTERVAL_MS);
  }

  /** Lets the waiting version take over, then reloads into it. */
  apply(): void {
    const workbox = this.#workbox;
    if (!workbox) return;
    workbox.addEventListener('controlling', () => location.reload());
    workbox.messageSkipWaiting();
  }

  /** Posts to the service worker controlling this page, if any. */
  post(message: PageMessage): boolean {
    const controller = navigator.serviceWorker?.controller;
    controller?.postMessage(message);
    return controller != null;
  }
}

export const appUpdate = new AppUpdate();
