import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { serviceWorker } from './service-worker/build.ts';

const root = fileURLToPath(new URL('./app', import.meta.url));

export default defineConfig({
  root,
  plugins: [svelte(), serviceWorker()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev` serves the app with hot reload; the broker and /api/config come
    // from `npm run serve` on 8080.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/peerjs': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
