/** Whether a transfer fits, from the browser's storage estimate (kept pure for unit tests). */

export interface Shortfall {
  /** Bytes the transfer still needs. */
  needed: number;
  /** Bytes the browser says this site may still use. */
  free: number;
}

/** What is missing for `bytes` given a storage estimate, or null when they fit (or nobody can tell). */
export function shortfall(bytes: number, { quota, usage }: { quota?: number; usage?: number }): Shortfall | null {
  if (quota === undefined || usage === undefined) return null;
  const free = quota - usage;
  return bytes <= free ? null : { needed: bytes, free };
}
