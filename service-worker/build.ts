/**
 * Builds the service worker after the app: bundles sw.ts into one classic script,
 * then lets workbox-build inject the precache manifest (every file of the built app
 * with its revision) and writes it to dist/sw.js — always that name, so browsers
 * find each new version at the same URL.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type ResolvedConfig } from 'vite';
import { injectManifest } from 'workbox-build';

const ENTRY = fileURLToPath(new URL('./sw.ts', import.meta.url));
const STAGING = fileURLToPath(new URL('../node_modules/.cache/ferry-sw/', import.meta.url));

export function serviceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'ferry-service-worker',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    async closeBundle() {
      await build({
        configFile: false,
        logLevel: 'warn',
        // Workbox prints development logs unless it sees a production build.
        define: { 'process.env.NODE_ENV': JSON.stringify('production') },
        build: {
          outDir: STAGING,
          emptyOutDir: true,
          target: 'es2022',
          lib: { entry: ENTRY, formats: ['iife'], name: 'ferryServiceWorker', fileName: () => 'sw.js' },
        },
      });
      const outDir = config.build.outDir;
      const { count, size, warnings } = await injectManifest({
        swSrc: path.join(STAGING, 'sw.js'),
        swDest: path.join(outDir, 'sw.js'),
        globDirectory: outDir,
        globPatterns: ['**/*.{html,js,css,webmanifest,png,svg,wasm}'],
        globIgnores: ['sw.js'],
        // Vite names files in assets/ by their content: the URL is the revision.
        dontCacheBustURLsMatching: /^assets\//,
      });
      for (const warning of warnings) config.logger.warn(`service worker: ${warning}`);
      config.logger.info(`service worker: dist/sw.js precaches ${count} files (${(size / 1024).toFixed(0)} KiB)`);
    },
  };
}
