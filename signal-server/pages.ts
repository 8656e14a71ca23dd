/**
 * The built PWA, and the answers for what only Ferry's service worker can serve: files
 * with the right cache lifetimes, and a clear word when the app is not built.
 */
import path from 'node:path';
import express from 'express';
import { DOWNLOAD_PREFIX } from '../app/src/storage/download-url.ts';
import { SHARE_TARGET_PATH, SHARED_FILES_QUERY } from '../app/src/sw-messages.ts';

const NOT_BUILT_MESSAGE = 'Ferry is not built yet: run `npm run build`\n';
const DOWNLOAD_NOT_HERE_MESSAGE =
  'Received files never pass through this server. Open Ferry in the browser that received them and press Save there.\n';

/**
 * Both are answered inside the browser by Ferry's service worker; they reach the
 * server only when none controls the page (a first visit, a hard reload). The
 * shared files are then lost: say so on the page rather than fail with a 404.
 */
export function serveWorkerFallbacks(app: express.Express): void {
  app.post(SHARE_TARGET_PATH, (_req, res) => {
    res.set('Cache-Control', 'no-store').redirect(303, `/?${SHARED_FILES_QUERY}=unavailable`);
  });
  app.get(`${DOWNLOAD_PREFIX}*`, (_req, res) => {
    res.status(404).set('Cache-Control', 'no-store').type('text/plain').send(DOWNLOAD_NOT_HERE_MESSAGE);
  });
}

/** The files of the build in `staticDir`, then a word for a missing build or page. */
export function servePages(app: express.Express, staticDir: string): void {
  const assetsDir = path.join(staticDir, 'assets') + path.sep;
  app.use(
    express.static(staticDir, {
      cacheControl: false, // set below, per file
      setHeaders(res, filePath) {
        // Vite puts content-hashed files in assets/: their URL changes whenever
        // their bytes do, so they can be cached forever. Everything else
        // (index.html, manifest, service worker) must be revalidated, or users
        // would be stuck on an old build.
        res.setHeader(
          'Cache-Control',
          filePath.startsWith(assetsDir) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    }),
  );

  // express.static falls through for "/" only when there is no index.html.
  // Checking per request (not at start-up) means a build made while the
  // server runs is picked up without a restart.
  app.get(['/', '/index.html'], (_req, res) => {
    res.status(503).set('Cache-Control', 'no-store').type('text/plain').send(NOT_BUILT_MESSAGE);
  });

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found\n');
  });
}
