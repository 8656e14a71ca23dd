/** Whether a transfer fits, from the browser's storage estimate (kept pure for unit tests). */

/** The refusal for `bytes` given a storage estimate, or null when they fit. */
export function roomMessage(bytes: number, { quota, usage }: { quota?: number; usage?: number }): string | null {
  if (quota === undefined || usage === undefined) return null;
  const free = quota - usage;
  if (bytes <= free) return null;
  return `Not enough room on this device: the transfer needs ${megabytes(bytes)} but only ${megabytes(free)} is free for this site. Free some space and try again.`;
}

function megabytes(bytes: number): string {
  return `${Math.ceil(bytes / 1e6).toLocaleString()} MB`;
}
