// One Node process serves everything Ferry needs from a server: the PeerJS
// broker (which only introduces two browsers — file bytes never pass through
// here), the built PWA, /api/config with the ICE servers to use, and a STUN
// responder that tells browsers their public address.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { DOWNLOAD_PREFIX } from '../app/src/common/download-url.ts';
import { SHARE_TARGET_PATH, SHARED_FILES_QUERY } from '../app/src/common/sw-messages.ts';
import { DEFAULT_BROKER_LIMITS } from './broker-limits.ts';
import { createBroker, type BrokerStats } from './broker.ts';
import { maxPeersFor, processLimits } from './capacity.ts';
import { ConfigError, type ServerConfig } from './config.ts';
import { clientIceConfig } from './ice.ts';
import { AddressCounts } from './address-counts.ts';
import { addressKey, bare, clientAddress } from './ip-address.ts';
import { connectSources, servesHost, unservedHostMessage } from './origins.ts';
import { RateLimiter } from './rate-limiter.ts';
import { startStunResponder, type StunResponder } from './stun.ts';
import { PRESENCE_PATH, servePresence } from './presence.ts';

export interface RunningServer {
  /** Where to point a browser, e.g. http://127.0.0.1:8080/ (actual port, IPv6 bracketed). */
  url: string;
  server: http.Server | https.Server;
  /** The UDP port Ferry's STUN responder answers on, when it runs. */
  stunPort?: number;
  /** What the broker holds now: sockets, ids, held messages. */
  brokerStats(): BrokerStats;
  /** Stops listening and drops every open connection, websockets included. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where operational errors go; tests pass a collector. Defaults to console.error. */
  log?: (message: string) => void;
}

// A Vite-built Svelte SPA loads only its own scripts; Svelte sets inline styles;
// downloads and the QR image use blob:/data: URLs; the PeerJS broker is a
// websocket to this origin, named in connect-src (see connectSources); WebRTC
// itself is not governed by connect-src.
function contentSecurityPolicy(connectSrc: string): string {
  return [
    "default-src 'self'",
    // hash-wasm (SHA-256, HMAC) compiles WebAssembly, which needs 'wasm-unsafe-eval'.
    "script-src 'self' 'wasm-unsafe-eval'",
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

/**
 * Requests that cost the server something (a fresh TURN credential, a broker id)
 * per address: far above what a page needs (one of each per dial), far below a flood.
 */
const HTTP_LIMITS = { ratePerSecond: 2, burst: 30 };
/** TCP connections one address may hold beyond its broker sockets: a browser's HTTP pool and some. */
const SOCKETS_BEYOND_BROKER = 30;

const NOT_BUILT_MESSAGE = 'Ferry is not built yet: run `npm run build`\n';
const DOWNLOAD_NOT_HERE_MESSAGE =
  'Received files never pass through this server. Open Ferry in the browser that received them and press Save there.\n';

export async function startServer(
  config: ServerConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  const allowedOrigins = config.allowedOrigins ?? [];
  const trustedProxies = config.trustedProxies ?? new Set<string>();
  const brokerLimits = config.brokerLimits ?? DEFAULT_BROKER_LIMITS;
  const app = express();
  app.disable('x-powered-by');

  const server = config.tls ? createHttpsServer(config.tls, app) : http.createServer(app);

  app.use((req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': contentSecurityPolicy(connectSources(req.headers.host, allowedOrigins)),
    });
    next();
  });

  // For a load balancer's health checks: cheap, unlimited, and true while the process
  // serves (a full broker is still healthy: taking it out would drop everyone on it).
  // Before the Host check: checkers often send no name, or their own.
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/plain').send('ok\n');
  });

  // Only names the operator chose (origins.ts): pages, /api/config and the broker's
  // id endpoint alike. The WebSockets check the same in isOwnOrigin. No Host at all
  // is not a browser, which always sends one.
  app.use((req, res, next) => {
    const host = req.headers.host;
    if (host === undefined || servesHost(host, allowedOrigins)) return next();
    res.status(421).set('Cache-Control', 'no-store').type('text/plain').send(unservedHostMessage(host));
  });

  const httpLimiter = new RateLimiter(HTTP_LIMITS);
  const limited = (req: Request, res: Response, next: NextFunction) => {
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
    if (httpLimiter.allow(address)) return next();
    res.status(429).set({ 'Retry-After': '5', 'Cache-Control': 'no-store' }).type('text/plain').send('Too many requests\n');
  };

  // The broker. Mounted under /peerjs with its own path '/', so the browser
  // client uses {path: '/peerjs', key: 'peerjs'}: the id endpoint is
  // /peerjs/peerjs/id and the websocket /peerjs/peerjs. The package wires its
  // websocket server to `server` when it is mounted, so `server` must exist first.
  const { app: broker, ...brokerControl } = createBroker(server, {
    allowedOrigins,
    trustedProxies,
    limits: brokerLimits,
    maxPeers: config.maxPeers ?? maxPeersFor(processLimits()),
    ...(config.shards && { shards: config.shards }),
    log,
    otherPaths: [PRESENCE_PATH],
  });
  const presence = servePresence(server, { allowedOrigins, trustedProxies, limits: brokerLimits });
  // The package re-emits websocket errors (including a client sending non-JSON)
  // as 'error' on the express app, an EventEmitter: with no listener that
  // throws and takes the whole process down. It also re-emits the HTTP
  // server's own errors; a failed listen() is already reported by our caller.
  broker.on('error', (error: NodeJS.ErrnoException) => {
    if (error.syscall !== 'listen') log(`broker: ${error.message}`);
  });
  app.use('/peerjs/peerjs/id', limited);
  app.use(
    '/peerjs',
    (_req, res, next) => {
      // Every /id answer must be fresh; never let a cache hand out a used id.
      res.set('Cache-Control', 'no-store');
      next();
    },
    broker,
  );

  /** Started once HTTP listens (below). */
  let stun: StunResponder | undefined;

  // Fresh TURN credentials on every request: a page fetches this again before each
  // dial, so a reconnection never uses credentials that have since expired.
  app.get('/api/config', limited, (req, res) => {
    // The port STUN really listens on (config may ask for an ephemeral one).
    const answering = { ...config, stun: config.stun && stun && { host: config.stun.host, port: stun.port } };
    const shards = config.shards ? { shards: config.shards.names } : {};
    res.set('Cache-Control', 'no-store').json({ ...clientIceConfig(answering, req.headers.host), ...shards });
  });

  // Both are answered inside the browser by Ferry's service worker; they reach the
  // server only when none controls the page (a first visit, a hard reload). The
  // shared files are then lost: say so on the page rather than fail with a 404.
  app.post(SHARE_TARGET_PATH, (_req, res) => {
    res.set('Cache-Control', 'no-store').redirect(303, `/?${SHARED_FILES_QUERY}=unavailable`);
  });
  app.get(`${DOWNLOAD_PREFIX}*`, (_req, res) => {
    res.status(404).set('Cache-Control', 'no-store').type('text/plain').send(DOWNLOAD_NOT_HERE_MESSAGE);
  });

  const assetsDir = path.join(config.staticDir, 'assets') + path.sep;
  app.use(
    express.static(config.staticDir, {
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

  // Last resort: whatever a handler throws becomes an HTTP error, never a crash.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error); // express's default handler closes the connection
      return;
    }
    const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
    const code = [status, statusCode].find(
      (c): c is number => typeof c === 'number' && c >= 400 && c < 600,
    );
    if (code === undefined || code >= 500) log(`request failed: ${String(error)}`);
    const finalCode = code ?? 500;
    res.status(finalCode).type('text/plain').send(`${http.STATUS_CODES[finalCode] ?? 'Error'}\n`);
  });

  // Malformed HTTP (bad request line, oversized headers...) arrives here rather
  // than in express. Without a listener Node answers 400 itself, but a
  // listener also lets us drop already-dead sockets quietly.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A timed-out connection is usually one a browser opened ahead of need and has
    // not used yet: an answer written onto it would be read as the answer to the
    // next page load (which then fails), so just close it.
    if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  // Track raw sockets: upgraded (websocket) connections are no longer known to
  // the HTTP server, so closeAllConnections() would leave them open and
  // server.close() would wait for them forever. The broker keeps its
  // websockets open until the client leaves.
  const sockets = new Set<Socket>();
  // Idle or half-sent connections cost a file descriptor each until a timeout ends
  // them; one address must not be able to use up the process's descriptors. A
  // browser keeps about six HTTP connections to a site; each open page a broker
  // socket or a presence stream (receiving, both), each capped per address alike.
  const maxSocketsPerAddress = 2 * brokerLimits.connectionsPerAddress + SOCKETS_BEYOND_BROKER;
  const socketsPerAddress = new AddressCounts();
  server.on('connection', (socket: Socket) => {
    const remote = bare(socket.remoteAddress ?? '');
    const address = trustedProxies.has(remote) ? null : addressKey(remote);
    if (address !== null) {
      if (socketsPerAddress.of(address) >= maxSocketsPerAddress) {
        socket.destroy();
        return;
      }
      socketsPerAddress.opened(address);
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (address !== null) socketsPerAddress.closed(address);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const closeHttp = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });

  if (config.stun) {
    try {
      stun = await startStunResponder({ host: config.stun.host, port: config.stun.port, log });
    } catch (error) {
      await closeHttp();
      throw error;
    }
  }

  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${port}/`,
    server,
    ...(stun && { stunPort: stun.port }),
    brokerStats: brokerControl.stats,
    close() {
      brokerControl.close();
      presence.close();
      closing ??= Promise.all([closeHttp(), stun?.close()]).then(() => {});
      return closing;
    },
  };
}

/** The host part of a browsable URL for the address we listen on. */
function urlHost(host: string): string {
  // A wildcard address is not somewhere to browse to; the loopback of the same
  // family is, and it is a secure context without TLS.
  const concrete = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return concrete.includes(':') ? `[${concrete}]` : concrete;
}

/** Bad TLS files are configuration mistakes: report them as such (exit 2, clear message). */
function createHttpsServer(
  tls: NonNullable<ServerConfig['tls']>,
  app: express.Express,
): https.Server {
  const read = (file: string, variable: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${variable}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const cert = read(tls.certFile, 'FERRY_TLS_CERT');
  const key = read(tls.keyFile, 'FERRY_TLS_KEY');
  try {
    return https.createServer({ cert, key }, app);
  } catch (error) {
    throw new ConfigError(
      `FERRY_TLS_CERT/FERRY_TLS_KEY: not a usable PEM certificate and key: ${(error as Error).message}`,
    );
  }
}
