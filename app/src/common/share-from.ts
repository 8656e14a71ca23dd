/**
 * Files posted to the share target, and whether they may take over the share. The
 * service worker sees who posted them only through the request's referrer (the
 * Sec-Fetch-Site header is not visible there): a Ferry page gives its own URL; a
 * system share ("Share → Ferry" on Android) gives none; a form on another website
 * gives that site, unless it asks for no referrer, when it looks like a system share.
 *
 * Starting a share replaces the one that is open, here or in another tab (the record
 * they share is overwritten, and the old link dies when that tab reloads). So only
 * Ferry itself may do that unasked; anything else asks first when something is being
 * shared, and another website always asks.
 */

/** Who posted the files, as far as the referrer tells. */
export type ShareFrom = 'ferry' | 'unknown' | 'other-site';

/** Where the files go: straight into a new share, or first to a question. */
export type SharedFilesStep = 'start' | 'ask';

/** Reads a share-target POST's `request.referrer` ('' when there is none). */
export function shareFrom(referrer: string, origin: string): ShareFrom {
  if (referrer === '') return 'unknown';
  let from: string;
  try {
    from = new URL(referrer).origin;
  } catch {
    return 'other-site';
  }
  return from === origin ? 'ferry' : 'other-site';
}

/** `sharing`: a share is open or saved, here or in another tab. */
export function sharedFilesStep(from: ShareFrom, sharing: boolean): SharedFilesStep {
  switch (from) {
    case 'ferry':
      return 'start';
    case 'other-site':
      return 'ask';
    case 'unknown':
      return sharing ? 'ask' : 'start';
  }
}
