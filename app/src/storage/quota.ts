/**
 * Storage space: ask for persistence (so the browser does not evict a half-received
 * file under pressure) and check there is room before a transfer starts.
 */
import { shortfall, type Shortfall } from '../session/room.ts';

/** Null when `bytes` more fit (or the browser cannot tell); else how much is needed and free. */
export async function roomFor(bytes: number): Promise<Shortfall | null> {
  // StorageManager exists only in secure contexts; elsewhere we learn of a full disk on write.
  const storage = navigator.storage as StorageManager | undefined;
  if (!storage?.estimate) return null;
  void storage.persist?.().catch(() => false);
  return shortfall(bytes, await storage.estimate());
}
