// One Node process serves everything Ferry needs from a server: the PeerJS
// broker (which only introduces two browsers — file bytes never pass through
// here), the built PWA, /api/config with the ICE servers to use, and a STUN
// responder that tells browsers their public address.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { RequestHandler } from 'express';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './broker-limits.ts';
import { createBroker, type BrokerStats } from './broker.ts';
import { maxPeersFor, processLimits } from './capacity.ts';
import { ConfigError, type ServerConfig } from './config.ts';
import { securityHeaders, servedHostsOnly } from './http-headers.ts';
import { answerErrors, answerMalformedHttp } from './http-errors.ts';
import { limitedPerAddress } from './http-limits.ts';
import { clientIceConfig } from './ice.ts';
import { countOpenSockets } from './open-sockets.ts';
import { servePages, serveWorkerFallbacks } from './pages.ts';
import { PRESENCE_PATH, servePresence } from './presence.ts';
import { startStunResponder, type StunResponder } from './stun.ts';

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

/** TCP connections one address may hold beyond its broker sockets: a browser's HTTP pool and some. */
const SOCKETS_BEYOND_BROKER = 30;

/** The configuration with its defaults filled in, as every part takes it. */
interface Settings {
  config: ServerConfig;
  allowedOrigins: string[];
  trustedProxies: Set<string>;
  brokerLimits: BrokerLimits;
  log: (message: string) => void;
}

/** The broker and the presence streams beside it: what they hold, and how to end them. */
interface Brokering {
  stats(): BrokerStats;
  close(): void;
}

export async function startServer(
  config: ServerConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const settings: Settings = {
    config,
    log: options.log ?? ((message: string) => console.error(message)),
    allowedOrigins: config.allowedOrigins ?? [],
    trustedProxies: config.trustedProxies ?? new Set<string>(),
    brokerLimits: config.brokerLimits ?? DEFAULT_BROKER_LIMITS,
  };
  const app = express();
  app.disable('x-powered-by');
  const server = config.tls ? createHttpsServer(config.tls, app) : http.createServer(app);
  /** Started once HTTP listens (below). */
  let stun: StunResponder | undefined;

  app.use(securityHeaders(settings.allowedOrigins));
  serveHealthCheck(app);
  app.use(servedHostsOnly(settings.allowedOrigins));
  const limited = limitedPerAddress(settings.trustedProxies);
  const brokering = serveBroker(app, server, limited, settings);
  serveIceConfig(app, limited, config, () => stun);
  serveWorkerFallbacks(app);
  servePages(app, config.staticDir);
  answerErrors(app, settings.log);
  answerMalformedHttp(server);

  // A browser keeps about six HTTP connections to a site; each open page a broker
  // socket or a presence stream (receiving, both), each capped per address alike.
  const maxSocketsPerAddress = 2 * settings.brokerLimits.connectionsPerAddress + SOCKETS_BEYOND_BROKER;
  const sockets = countOpenSockets(server, maxSocketsPerAddress, settings.trustedProxies);
  await listen(server, config);
  const closeHttp = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
      sockets.destroyAll();
    });
  stun = await startStun(settings, closeHttp);
  return running(server, config, brokering, stun, closeHttp);
}

/**
 * For a load balancer's health checks: cheap, unlimited, and true while the process
 * serves (a full broker is still healthy: taking it out would drop everyone on it).
 * Before the Host check: checkers often send no name, or their own.
 */
function serveHealthCheck(app: express.Express): void {
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/plain').send('ok\n');
  });
}

/**
 * The broker. Mounted under /peerjs with its own path '/', so the browser
 * client uses {path: '/peerjs', key: 'peerjs'}: the id endpoint is
 * /peerjs/peerjs/id and the websocket /peerjs/peerjs. The package wires its
 * websocket server to `server` when it is mounted, so `server` must exist first.
 */
function serveBroker(
  app: express.Express,
  server: http.Server | https.Server,
  limited: RequestHandler,
  { config, allowedOrigins, trustedProxies, brokerLimits, log }: Settings,
): Brokering {
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
  return {
    stats: brokerControl.stats,
    close() {
      brokerControl.close();
      presence.close();
    },
  };
}

/**
 * Fresh TURN credentials on every request: a page fetches this again before each
 * dial, so a reconnection never uses credentials that have since expired.
 */
function serveIceConfig(
  app: express.Express,
  limited: RequestHandler,
  config: ServerConfig,
  stun: () => StunResponder | undefined,
): void {
  app.get('/api/config', limited, (req, res) => {
    // The port STUN really listens on (config may ask for an ephemeral one).
    const listening = stun();
    const answering = { ...config, stun: config.stun && listening && { host: config.stun.host, port: listening.port } };
    const shards = config.shards ? { shards: config.shards.names } : {};
    res.set('Cache-Control', 'no-store').json({ ...clientIceConfig(answering, req.headers.host), ...shards });
  });
}

function listen(server: http.Server | https.Server, config: ServerConfig): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The STUN responder, when the configuration asks for one; if it cannot start, HTTP stops too. */
async function startStun({ config, log }: Settings, closeHttp: () => Promise<void>): Promise<StunResponder | undefined> {
  if (!config.stun) return undefined;
  try {
    return await startStunResponder({ host: config.stun.host, port: config.stun.port, log });
  } catch (error) {
    await closeHttp();
    throw error;
  }
}

/** The running server as its caller holds it; closing it twice waits for the one shutdown. */
function running(
  server: http.Server | https.Server,
  config: ServerConfig,
  brokering: Brokering,
  stun: StunResponder | undefined,
  closeHttp: () => Promise<void>,
): RunningServer {
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${port}/`,
    server,
    ...(stun && { stunPort: stun.port }),
    brokerStats: brokering.stats,
    close() {
      brokering.close();
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
