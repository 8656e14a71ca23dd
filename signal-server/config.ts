// Server configuration from command-line flags and environment variables.
//
// Everything is validated here, at start-up, so a typo fails loudly with a
// message naming the offending flag or variable instead of surfacing later as
// a browser that silently never connects.

import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARD_NAME } from '../app/src/common/broker-ids.ts';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from './broker-limits.ts';
import { maxPeersFor, processLimits } from './capacity.ts';
import { bare } from './ip-address.ts';
import { normalOrigin } from './origins.ts';

/** The subset of RTCIceServer that we hand to browsers unchanged. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** Listed for browsers as they are (FERRY_ICE_SERVERS). */
  iceServers: IceServer[];
  /** Ferry's own STUN responder (FERRY_STUN_HOST, else `host`); absent when FERRY_STUN_PORT is 0. */
  stun?: { host: string; port: number };
  /** A coturn relay with `use-auth-secret`: /api/config mints credentials per request. */
  turn?: TurnConfig;
  /** Present when both FERRY_TLS_CERT and FERRY_TLS_KEY are set: serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Absolute path of the built PWA (Vite's dist/). */
  staticDir: string;
  /** Origins whose pages may use the broker (FERRY_ALLOWED_ORIGINS); none = this server's own host. */
  allowedOrigins?: string[];
  /** Reverse proxies whose X-Forwarded-For is believed (FERRY_TRUSTED_PROXIES); none by default. */
  trustedProxies?: Set<string>;
  /** Per-address limits and bounds of the broker; DEFAULT_BROKER_LIMITS when absent. */
  brokerLimits?: BrokerLimits;
  /** Broker sockets this process holds at most (FERRY_MAX_PEERS); sized to the process when absent. */
  maxPeers?: number;
  /** When this process is one of several behind a load balancer (FERRY_SHARDS, FERRY_SHARD). */
  shards?: Shards;
}

/** The shards of a sharded layout (app/src/common/broker-ids.ts) and the one this process serves. */
export interface Shards {
  /** Every shard, in order: new shares go to one of them; ids with no shard belong to the first. */
  names: string[];
  own: string;
}

export interface TurnConfig {
  /** turn: and turns: URLs of one coturn (or several sharing the secret). */
  urls: string[];
  /** coturn's static-auth-secret. Never sent to a browser, never logged. */
  secret: string;
  /** How long minted credentials stay valid. */
  ttlSeconds: number;
}

/** A bad flag or environment variable; main.ts prints the message and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8080;
/** The standard STUN port (RFC 8489 §18.6). */
const DEFAULT_STUN_PORT = 3478;
/** One day, as the TURN REST API draft recommends: longer than any one visit. */
const DEFAULT_TURN_TTL_SECONDS = 86_400;
// The repo's dist/, wherever the process was started from.
const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

const ICE_SCHEMES = ['stun:', 'stuns:', 'turn:', 'turns:'];
const ICE_KEYS = new Set(['urls', 'username', 'credential']);

export const USAGE = `usage: node --import tsx signal-server/main.ts [--host HOST] [--port PORT]
environment: FERRY_HOST, FERRY_PORT, FERRY_STUN_PORT (UDP, 0 = off), FERRY_STUN_HOST,
             FERRY_TURN_URLS + FERRY_TURN_SECRET [+ FERRY_TURN_TTL] (coturn relay),
             FERRY_ICE_SERVERS (JSON array), FERRY_TLS_CERT + FERRY_TLS_KEY (PEM
             file paths), FERRY_STATIC_DIR, FERRY_ALLOWED_ORIGINS, FERRY_TRUSTED_PROXIES,
             FERRY_MAX_CONNECTIONS_PER_ADDRESS, FERRY_MAX_PEERS,
             FERRY_SHARDS + FERRY_SHARD (one of several processes behind a load balancer)`;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const flags = parseFlags(argv);

  // Accept "[::1]" as well as "::1": brackets are URL syntax, listen() wants the bare address.
  const host = (flags.host ?? envValue(env, 'FERRY_HOST') ?? DEFAULT_HOST).replace(/^\[(.*)\]$/, '$1');
  const portSource = flags.port !== undefined ? '--port' : 'FERRY_PORT';
  const portText = flags.port ?? envValue(env, 'FERRY_PORT');
  const port = portText === undefined ? DEFAULT_PORT : parsePort(portText, portSource);

  // Ferry answers STUN itself, so two devices on different networks find their
  // public addresses with nothing else to run. Never fall back to a public STUN or
  // TURN server: that would hand every user's addresses to a third party.
  const stunText = envValue(env, 'FERRY_STUN_PORT');
  const stunPort = stunText === undefined ? DEFAULT_STUN_PORT : parsePort(stunText, 'FERRY_STUN_PORT');

  const iceText = envValue(env, 'FERRY_ICE_SERVERS');
  const iceServers = iceText === undefined ? [] : parseIceServers(iceText);
  const turn = parseTurn(env);

  const certFile = envValue(env, 'FERRY_TLS_CERT');
  const keyFile = envValue(env, 'FERRY_TLS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      'FERRY_TLS_CERT and FERRY_TLS_KEY must be set together (both or neither); ' +
        `only ${certFile !== undefined ? 'FERRY_TLS_CERT' : 'FERRY_TLS_KEY'} is set`,
    );
  }

  const staticDirText = envValue(env, 'FERRY_STATIC_DIR');
  const staticDir = staticDirText === undefined ? DEFAULT_STATIC_DIR : path.resolve(staticDirText);

  const config: ServerConfig = {
    host,
    port,
    iceServers,
    staticDir,
    allowedOrigins: parseOrigins(envValue(env, 'FERRY_ALLOWED_ORIGINS')),
    trustedProxies: parseProxies(envValue(env, 'FERRY_TRUSTED_PROXIES')),
    brokerLimits: parseBrokerLimits(env),
    maxPeers: parseMaxPeers(envValue(env, 'FERRY_MAX_PEERS')),
  };
  const shards = parseShards(envValue(env, 'FERRY_SHARDS'), envValue(env, 'FERRY_SHARD'));
  if (shards) config.shards = shards;
  // Behind a reverse proxy HTTP listens on loopback, but STUN must face the world:
  // UDP does not pass through an HTTP proxy.
  const stunHost = (envValue(env, 'FERRY_STUN_HOST') ?? host).replace(/^\[(.*)\]$/, '$1');
  if (stunPort !== 0) config.stun = { host: stunHost, port: stunPort };
  if (turn) config.turn = turn;
  if (certFile !== undefined && keyFile !== undefined) {
    config.tls = { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
  }
  return config;
}

/** An unset or blank variable counts as absent (e.g. `FERRY_PORT=` in a compose file). */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parseFlags(argv: string[]): { host?: string; port?: string } {
  const flags: { host?: string; port?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(host|port)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ConfigError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const name = match[1] as 'host' | 'port';
    let value = match[2];
    if (value === undefined) {
      // `--port 8080` form: the value is the next argument, which must not be another flag.
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`--${name} needs a value`);
      }
      value = next;
      i++;
    }
    if (value.trim() === '') throw new ConfigError(`--${name} needs a value`);
    flags[name] = value.trim();
  }
  return flags;
}

function parsePort(text: string, source: string): number {
  // Number('') is 0 and Number('1e3') is 1000, so insist on plain digits.
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${source} must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

function parseTurn(env: NodeJS.ProcessEnv): TurnConfig | undefined {
  const urlsText = envValue(env, 'FERRY_TURN_URLS');
  const secret = envValue(env, 'FERRY_TURN_SECRET');
  const ttlText = envValue(env, 'FERRY_TURN_TTL');
  if (urlsText === undefined && secret === undefined) {
    if (ttlText !== undefined) throw new ConfigError('FERRY_TURN_TTL is set but FERRY_TURN_URLS and FERRY_TURN_SECRET are not');
    return undefined;
  }
  if (urlsText === undefined || secret === undefined) {
    throw new ConfigError(
      'FERRY_TURN_URLS and FERRY_TURN_SECRET must be set together (the relay\'s URLs and its static-auth-secret); ' +
        `only ${urlsText !== undefined ? 'FERRY_TURN_URLS' : 'FERRY_TURN_SECRET'} is set`,
    );
  }
  const urls = urlsText.split(',').map((url) => url.trim()).filter((url) => url !== '');
  for (const url of urls) {
    if (!/^turns?:[^\s?]+/.test(url)) {
      throw new ConfigError(`FERRY_TURN_URLS: ${JSON.stringify(url)} must be a turn: or turns: URL, e.g. turn:turn.example.org:3478`);
    }
  }
  if (urls.length === 0) throw new ConfigError('FERRY_TURN_URLS lists no URL');
  let ttlSeconds = DEFAULT_TURN_TTL_SECONDS;
  if (ttlText !== undefined) {
    ttlSeconds = /^\d+$/.test(ttlText) ? Number(ttlText) : NaN;
    // Under a minute, a page could not even fetch and use them; over a week, a leaked
    // credential outlives any reason to have handed it out.
    if (!(ttlSeconds >= 60 && ttlSeconds <= 7 * 86_400)) {
      throw new ConfigError(`FERRY_TURN_TTL must be a number of seconds from 60 to 604800, got ${JSON.stringify(ttlText)}`);
    }
  }
  return { urls, secret, ttlSeconds };
}

/** "https://ferry.example, https://ferry.example:8443" — each a bare origin, no path. */
function parseOrigins(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '').map((item) => {
    const origin = normalOrigin(item);
    if (origin === null || origin !== item.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError(
        `FERRY_ALLOWED_ORIGINS: ${JSON.stringify(item)} is not an origin; write it as the address bar shows it, e.g. https://ferry.example`,
      );
    }
    return origin;
  });
}

/** Addresses of the reverse proxies in front of Ferry, e.g. "127.0.0.1,::1". */
function parseProxies(text: string | undefined): Set<string> {
  if (text === undefined) return new Set();
  const proxies = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const proxy of proxies) {
    if (!net.isIP(proxy)) throw new ConfigError(`FERRY_TRUSTED_PROXIES: ${JSON.stringify(proxy)} is not an IP address`);
  }
  return new Set(proxies.map(bare));
}

function parseBrokerLimits(env: NodeJS.ProcessEnv): BrokerLimits {
  const text = envValue(env, 'FERRY_MAX_CONNECTIONS_PER_ADDRESS');
  if (text === undefined) return { ...DEFAULT_BROKER_LIMITS };
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= 1_000_000)) {
    throw new ConfigError(`FERRY_MAX_CONNECTIONS_PER_ADDRESS must be a whole number from 1 to 1000000, got ${JSON.stringify(text)}`);
  }
  return { ...DEFAULT_BROKER_LIMITS, connectionsPerAddress: count };
}

function parseMaxPeers(text: string | undefined): number {
  if (text === undefined) return maxPeersFor(processLimits());
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= 10_000_000)) {
    throw new ConfigError(`FERRY_MAX_PEERS must be a whole number from 1 to 10000000, got ${JSON.stringify(text)}`);
  }
  return count;
}

/** "a,b,c" and this process's own one of them. */
function parseShards(namesText: string | undefined, own: string | undefined): Shards | undefined {
  if (namesText === undefined && own === undefined) return undefined;
  if (namesText === undefined || own === undefined) {
    throw new ConfigError(
      'FERRY_SHARDS and FERRY_SHARD must be set together (every shard, and the one this process serves); ' +
        `only ${namesText !== undefined ? 'FERRY_SHARDS' : 'FERRY_SHARD'} is set`,
    );
  }
  const names = namesText.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!SHARD_NAME.test(name)) {
      throw new ConfigError(`FERRY_SHARDS: ${JSON.stringify(name)} is not a shard name: 1 to 16 lowercase letters and digits`);
    }
  }
  if (names.length === 0) throw new ConfigError('FERRY_SHARDS lists no shard');
  if (new Set(names).size !== names.length) throw new ConfigError(`FERRY_SHARDS names a shard twice: ${namesText}`);
  if (!names.includes(own)) throw new ConfigError(`FERRY_SHARD ${JSON.stringify(own)} is not one of FERRY_SHARDS (${names.join(', ')})`);
  return { names, own };
}

export function isTurnUrl(url: string): boolean {
  return url.startsWith('turn:') || url.startsWith('turns:');
}

/** Loopback addresses: a STUN responder there serves this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || /^::ffff:127\./.test(host);
}

/**
 * Things that work but that the operator should hear about at start-up. A TURN
 * password in FERRY_ICE_SERVERS goes to every visitor as it is and never expires:
 * anyone can copy it out of /api/config and relay whatever they like through it.
 */
export function configWarnings(config: Pick<ServerConfig, 'iceServers' | 'stun' | 'shards' | 'trustedProxies'>): string[] {
  const warnings: string[] = [];
  if (config.shards && (config.trustedProxies?.size ?? 0) === 0) {
    warnings.push(
      'FERRY_SHARDS is set but FERRY_TRUSTED_PROXIES is not: behind a load balancer every visitor then counts as ' +
        'its one address, and the per-address limits turn people away. List the load balancer\'s address.',
    );
  }
  if (config.stun && isLoopback(config.stun.host)) {
    warnings.push(
      `STUN answers on ${config.stun.host} only, so devices elsewhere cannot use it. On a server (also behind a ` +
        'reverse proxy) set FERRY_STUN_HOST=0.0.0.0, or FERRY_HOST=0.0.0.0.',
    );
  }
  return warnings.concat(config.iceServers.flatMap((server, index) => {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    if (!urls.some(isTurnUrl)) return [];
    return [
      `FERRY_ICE_SERVERS[${index}] gives every visitor the same TURN password, which never expires: anyone can ` +
        'copy it and use the relay. Prefer FERRY_TURN_URLS + FERRY_TURN_SECRET (coturn use-auth-secret), ' +
        'which mint credentials that expire.',
    ];
  }));
}

function parseIceServers(text: string): IceServer[] {
  const name = 'FERRY_ICE_SERVERS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigError(`${name} must be a JSON array of {urls, username?, credential?} objects`);
  }
  return parsed.map((entry: unknown, index) => parseIceServer(entry, `${name}[${index}]`));
}

function parseIceServer(entry: unknown, where: string): IceServer {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ConfigError(`${where} must be an object like {"urls": "stun:host:3478"}`);
  }
  const record = entry as Record<string, unknown>;
  // Reject unknown keys so that a typo such as "credentials" is not silently dropped.
  for (const key of Object.keys(record)) {
    if (!ICE_KEYS.has(key)) throw new ConfigError(`${where} has unknown key ${JSON.stringify(key)}`);
  }

  const { urls, username, credential } = record;
  const urlList = typeof urls === 'string' ? [urls] : urls;
  if (!Array.isArray(urlList) || urlList.length === 0 || !urlList.every((u) => typeof u === 'string')) {
    throw new ConfigError(`${where}.urls must be a string or a non-empty array of strings`);
  }
  for (const url of urlList as string[]) {
    if (!ICE_SCHEMES.some((scheme) => url.startsWith(scheme))) {
      throw new ConfigError(
        `${where}.urls: ${JSON.stringify(url)} must start with ${ICE_SCHEMES.join(', ')}`,
      );
    }
  }
  for (const [key, value] of [['username', username], ['credential', credential]] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new ConfigError(`${where}.${key} must be a string`);
    }
  }
  // Browsers refuse the whole RTCPeerConnection (InvalidAccessError) when a TURN
  // url comes without credentials, so catch that here rather than in every client.
  const hasTurn = (urlList as string[]).some(isTurnUrl);
  if (hasTurn && (username === undefined || credential === undefined)) {
    throw new ConfigError(`${where}: turn:/turns: urls need both "username" and "credential"`);
  }

  const server: IceServer = { urls: urls as string | string[] };
  if (username !== undefined) server.username = username as string;
  if (credential !== undefined) server.credential = credential as string;
  return server;
}
