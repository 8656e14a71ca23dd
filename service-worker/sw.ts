/**
 * Ferry's service worker: the app shell precached so Ferry opens offline, the Web
 * Share Target, and streaming downloads of received files. A new version installs
 * in the background and waits until the person chooses "Update"; it never takes
 * over by itself. This file keeps its name (/sw.js) in every release.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import type { PageMessage } from '../app/src/common/sw-messages.ts';
import { handleDownload } from './downloads.ts';
import { handleShareTarget, noteShareReady } from './share-target.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

// Before workbox's own fetch listener, which answers only the GET routes below.
self.addEventListener('fetch', (event) => {
  if (!handleShareTarget(event)) handleDownload(event);
});

self.addEventListener('message', (event) => {
  const message = event.data as PageMessage | null;
  // Sent by workbox-window's messageSkipWaiting() when the person chooses "Update".
  if (message?.type === 'SKIP_WAITING') void self.skipWaiting();
  else noteShareReady(event);
});

// "Files received" and the like: a tap brings Ferry's window back to the front.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async ([open]) => {
      if (open) await open.focus();
      else await self.clients.openWindow('/');
    }),
  );
});

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every navigation inside the app gets the precached shell, online or not; the
// server's own endpoints and the worker's download URLs are not pages.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/peerjs\//, /^\/api\//, /^\/ferry-download\//, /^\/share-target/],
  }),
);

// The first version takes control of open pages at once, so the very first visit
// already works offline and streams downloads. Later versions only activate after
// skipWaiting() above, when the person has chosen to update.
clientsClaim();
