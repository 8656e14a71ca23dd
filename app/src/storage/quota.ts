/**
 * Storage space: ask for persistence (so the browser does not evict a half-received
 * file under pressure) and check there is room before a transfer starts.
 */
import { roomMessage } from '../transfer/room.ts';

/** Null when `bytes` more fit (or the browser cannot tell); else what to tell the person. */
export async function roomFor(bytes: number): Promise<string | null> {
  // StorageManager exists only in secure contexts; elsewhere we learn of a full disk on write.
  const storage = navigator.storage as StorageManager | undefined;
  if (!storage?.estimate) return null;
  void storage.persist?.().catch(() => false);
  return roomMessage(bytes, await storage.estimate());
}
