/**
 * Storage space: ask for persistence (so the browser does not evict a half-received
 * file under pressure) and check there is room before a transfer starts.
 */

/** Null when `bytes` more fit (or the browser cannot tell); else what to tell the person. */
export async function roomFor(bytes: number): Promise<string | null> {
  // StorageManager exists only in secure contexts; elsewhere we learn of a full disk on write.
  const storage = navigator.storage as StorageManager | undefined;
  if (!storage?.estimate) return null;
  void storage.persist?.().catch(() => false);
  const { quota, usage } = await storage.estimate();
  if (quota === undefined || usage === undefined) return null;
  const free = quota - usage;
  if (bytes <= free) return null;
  return `Not enough room on this device: the transfer needs ${megabytes(bytes)} but only ${megabytes(free)} is free for this site. Free some space and try again.`;
}

function megabytes(bytes: number): string {
  return `${Math.ceil(bytes / 1e6).toLocaleString()} MB`;
}
