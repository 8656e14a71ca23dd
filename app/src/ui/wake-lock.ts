/**
 * Keeps the screen on while a transfer runs: a phone that dims and locks mid-transfer
 * suspends the page, and the transfer with it. Every view that runs a transfer holds
 * the lock through `keepAwake()`; the screen may sleep again once nobody holds it.
 *
 * The browser drops the lock whenever the page is hidden, so it is taken again when
 * the page comes back. No Wake Lock API, or a refusal (low battery, power saving,
 * a policy): the screen simply sleeps as usual, with nothing to tell the person.
 */

let holders = 0;
let sentinel: WakeLockSentinel | null = null;
let requesting = false;

/** Asks for the screen to stay on; call the returned function when the transfer stops. */
export function keepAwake(): () => void {
  holders += 1;
  void acquire();
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    holders -= 1;
    if (holders === 0) void release();
  };
}

async function acquire(): Promise<void> {
  if (holders === 0 || sentinel || requesting || document.visibilityState !== 'visible') return;
  if (!('wakeLock' in navigator)) return;
  requesting = true;
  try {
    const lock = await navigator.wakeLock.request('screen');
    if (holders === 0) {
      await lock.release();
      return;
    }
    sentinel = lock;
    lock.addEventListener('release', () => {
      if (sentinel === lock) sentinel = null;
    });
  } catch {
    // Refused: the screen may sleep, as it would without Ferry.
  } finally {
    requesting = false;
  }
}

async function release(): Promise<void> {
  const lock = sentinel;
  sentinel = null;
  await lock?.release().catch(() => {});
}

document.addEventListener('visibilitychange', () => void acquire());
