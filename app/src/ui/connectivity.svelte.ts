/**
 * Whether this device can reach the Ferry server. The app shell opens offline (the
 * service worker keeps it), but sending and receiving need the server to introduce
 * the two browsers, so the views say so instead of failing obscurely. navigator.onLine
 * alone is not enough — it is true on a Wi-Fi without internet — so a failed request
 * to the server counts too, and a successful one clears it.
 */
class Connectivity {
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);

  constructor() {
    addEventListener('online', () => void this.check());
    addEventListener('offline', () => (this.online = false));
  }

  /** Asks the server; true when it answered. */
  async check(): Promise<boolean> {
    try {
      const response = await fetch('/api/config', { cache: 'no-store', method: 'HEAD' });
      this.online = response.ok;
    } catch {
      this.online = false;
    }
    return this.online;
  }
}

export const connectivity = new Connectivity();
