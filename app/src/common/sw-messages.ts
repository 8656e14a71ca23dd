/**
 * Messages between the page and the service worker (service-worker/), typed once for
 * both sides. Files shared to Ferry from another app (the Web Share Target) arrive in
 * the service worker as a POST; it redirects the page to SHARED_FILES_QUERY and posts
 * the files once the page says it is ready for them.
 */
export const SHARE_TARGET_PATH = '/share-target';
/** The query the share target redirects to; `unavailable` when no service worker took the files. */
export const SHARED_FILES_QUERY = 'shared';

import type { ShareFrom } from './share-from.ts';

export type PageMessage = { type: 'share-ready' } | { type: 'SKIP_WAITING' };
/** `from`: who posted the files (share-from.ts); the page decides whether to ask first. */
export type WorkerMessage = { type: 'shared-files'; files: File[]; from: ShareFrom };
