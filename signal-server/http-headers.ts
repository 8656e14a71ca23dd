/**
 * Headers every answer carries, and the names the server answers to: a page of Ferry
 * loads only what it needs, and a request for a name the operator did not choose is
 * refused before anything else.
 */
import type { RequestHandler } from 'express';
import { connectSources, servesHost, unservedHostMessage } from './origins.ts';

// A Vite-built Svelte SPA loads only its own scripts; Svelte sets inline styles;
// downloads and the QR image use blob:/data: URLs; the PeerJS broker is a
// websocket to this origin, named in connect-src (see connectSources); WebRTC
// itself is not governed by connect-src.
function contentSecurityPolicy(connectSrc: string): string {
  return [
    "default-src 'self'",
    // No eval of any kind, WebAssembly included: hashing is WebCrypto's.
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connectSrc}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': contentSecurityPolicy(connectSources(req.headers.host, allowedOrigins)),
    });
    next();
  };
}

/**
 * Only names the operator chose (origins.ts): pages, /api/config and the broker's
 * id endpoint alike. The WebSockets check the same in isOwnOrigin. No Host at all
 * is not a browser, which always sends one.
 */
export function servedHostsOnly(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const host = req.headers.host;
    if (host === undefined || servesHost(host, allowedOrigins)) return next();
    res.status(421).set('Cache-Control', 'no-store').type('text/plain').send(unservedHostMessage(host));
  };
}
