/**
 * The PeerJS broker (`peer`), behind a guard that no single client can get past.
 *
 * `peer` keeps the registry of ids and relays messages between them; it trusts
 * every client. The guard stands between the WebSocket and `peer` (through the
 * package's own `createWebSocketServer` hook), so `peer` only ever sees:
 *   - sockets from Ferry's own pages, within per-address limits on how many and
 *     how fast (refused before the WebSocket handshake: cheap under a flood), and
 *     no more in all than the process can hold (FERRY_MAX_PEERS: the rest hear
 *     that Ferry is busy). An id's owner connecting again is counted per id, not
 *     against its address, so a neighbour on the same address cannot keep it out;
 *   - exactly the query the guard checked: one key, id and token, rebuilt, so
 *     `peer` cannot register a different id than the one whose owner was checked;
 *   - in a sharded layout, only ids of this process's shard: the load balancer
 *     misrouting one is told to the client and logged, never a silent "not online";
 *   - ids whose token owns them: made from it (app/src/common/broker-ids.ts), or else
 *     held by it first (id-owners.ts), so a reload, a network change or a fail-over
 *     never hands a sender's id to someone else for good;
 *   - messages that passed parseClientMessage, within each socket's own rate (a
 *     flooder is closed, not its neighbours on the same address; replies a page
 *     owes for offers relayed to it are not counted, reply-credits.ts), within
 *     what one destination may be sent (inbound-limit.ts), and only to connected
 *     ids — messages for others are held here, bounded (held-messages.ts);
 *   - sockets whose send() cannot throw, so relaying never closes a destination,
 *     and that are closed once they stop reading (maxBufferedBytes).
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import type { Duplex } from 'node:stream';
import { ExpressPeerServer } from 'peer';
import { BROKER_REFUSALS } from '../app/src/common/broker-refusals.ts';
import { ownsPeerId, shardOf } from '../app/src/common/broker-ids.ts';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { BrokerLimits } from './broker-limits.ts';
import type { Shards } from './config.ts';
import { isPeerId, MAX_BROKER_MESSAGE_BYTES, parseClientMessage } from './broker-messages.ts';
import { HeldMessages } from './held-messages.ts';
import { IdOwners } from './id-owners.ts';
import { AddressCounts } from './address-counts.ts';
import { InboundLimit } from './inbound-limit.ts';
import { clientAddress } from './ip-address.ts';
import { isOwnOrigin } from './origins.ts';
import { Budget, RateLimiter } from './rate-limiter.ts';
import { ReplyCredits } from './reply-credits.ts';
import { refuseUpgrade as refuse, upgradePath } from './upgrades.ts';

export interface BrokerOptions {
  /** Origins whose pages may use the broker; empty = pages of this server's own host. */
  allowedOrigins: readonly string[];
  /** Proxies whose X-Forwarded-For names the real client. */
  trustedProxies: ReadonlySet<string>;
  limits: BrokerLimits;
  /** Broker sockets open at once, from everyone. */
  maxPeers: number;
  /** Present when this process serves one shard of several. */
  shards?: Shards;
  /** Where the operator hears of a misrouting load balancer. */
  log: (message: string) => void;
  /** WebSocket paths another service of this server answers (presence.ts): left to its own listener. */
  otherPaths?: readonly string[];
}

/** What tests and the attack suite look at. */
export interface BrokerStats {
  /** Broker sockets open (all addresses). */
  sockets: number;
  connectedIds: number;
  reservedIds: number;
  heldBytes: number;
}

export interface Broker {
  /** The express app to mount at /peerjs. */
  app: ReturnType<typeof ExpressPeerServer>;
  stats(): BrokerStats;
  close(): void;
}

/** Held messages for one id: more than any honest dial sends before the answer. */
const HELD_PER_ID = 64;
const SWEEP_INTERVAL_MS = 1_000;
/** PeerJS tokens are short random base-36 strings. */
const TOKEN = /^[A-Za-z0-9]{1,64}$/;
const KEY = 'peerjs';
/** The PeerJS client's version, which it adds to the query; read by nobody. */
const VERSION = /^[A-Za-z0-9.+-]{1,32}$/;
/** Ids tracked for their owners' reconnections at most: as many as may be reserved. */
const MAX_RECONNECTING_IDS = 100_000;
/** Replies owed for relayed offers (reply-credits.ts): about 13 MiB at most. */
const REPLY_WINDOW_MS = 30_000;
const MAX_REPLY_GRANTS = 65_536;
/** A misrouting load balancer is logged at most this often, with a count. */
const MISROUTED_LOG_MS = 60_000;

export function createBroker(server: http.Server | https.Server, options: BrokerOptions): Broker {
  const guard = new BrokerGuard(options);
  const app = ExpressPeerServer(server, {
    path: '/',
    key: KEY,
    allow_discovery: false,
    proxied: false,
    // The guard holds the count (maxPeers, before the handshake). `peer`'s own check
    // would refuse the 5,001st with an unworded error, after copying its registry.
    concurrent_limit: Infinity,
    // Ferry's pages call /peerjs from their own origin, which needs no CORS. `peer`
    // would otherwise answer any origin (it reflects it).
    corsOptions: { origin: options.allowedOrigins.length > 0 ? [...options.allowedOrigins] : false },
    createWebSocketServer: ({ server: httpServer, path }) =>
      guard.listen(httpServer as http.Server, path ?? '/') as unknown as WebSocketServer,
  });
  return { app, stats: () => guard.stats(), close: () => guard.close() };
}

/**
 * Looks like a ws WebSocketServer to `peer` (it only listens for 'connection' and
 * 'error'), and emits a connection only once a socket passed every check.
 */
class BrokerGuard extends EventEmitter {
  readonly #options: BrokerOptions;
  readonly #sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_BROKER_MESSAGE_BYTES, clientTracking: false });
  readonly #owners: IdOwners<BrokerSocket>;
  readonly #held: HeldMessages;
  readonly #connects: RateLimiter;
  readonly #ownerReconnects: RateLimiter;
  readonly #replies = new ReplyCredits({ windowMs: REPLY_WINDOW_MS, maxGrants: MAX_REPLY_GRANTS });
  readonly #perAddress = new AddressCounts();
  #timer: ReturnType<typeof setInterval> | undefined;
  #misrouted = { count: 0, loggedAt: -Infinity };

  constructor(options: BrokerOptions) {
    super();
    this.#options = options;
    const { limits } = options;
    this.#owners = new IdOwners({ graceMs: limits.idGraceMs, maxReserved: 100_000 });
    this.#held = new HeldMessages({
      holdMs: limits.holdMs,
      maxPerDestination: HELD_PER_ID,
      maxBytesPerDestination: limits.heldBytesPerId,
      maxTotalBytes: limits.heldBytesTotal,
    });
    this.#connects = new RateLimiter({ ratePerSecond: limits.connectsPerSecond, burst: limits.connectBurst });
    this.#ownerReconnects = new RateLimiter({
      ratePerSecond: limits.ownerReconnectsPerSecond,
      burst: limits.ownerReconnectBurst,
      maxSources: MAX_RECONNECTING_IDS,
    });
  }

  listen(server: http.Server, path: string): this {
    server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(request, socket, head, path),
    );
    this.#timer = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#timer.unref();
    return this;
  }

  stats(): BrokerStats {
    return {
      sockets: this.#perAddress.total,
      connectedIds: this.#owners.connected,
      reservedIds: this.#owners.reserved,
      heldBytes: this.#held.bytes,
    };
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    const asked = upgradePath(request);
    if (asked !== path && this.#options.otherPaths?.includes(asked)) return;
    socket.on('error', () => socket.destroy()); // a reset mid-handshake is not our error
    if (asked !== path) return refuse(socket, 404, 'Not Found');
    const { allowedOrigins, trustedProxies, limits } = this.#options;
    if (!isOwnOrigin(request.headers.origin, request.headers.host, allowedOrigins)) {
      return refuse(socket, 403, 'Forbidden');
    }
    const query = checkedQuery((request.url ?? '/').slice(asked.length + 1));
    if (query === null) return refuse(socket, 400, 'Bad Request');
    const { id, token } = query;
    const address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies);
    // The owner of an id coming back for it spends its id's reconnections, not its
    // address's connects: a neighbour emptying those cannot keep it out. Its old
    // socket from the same address, still counted, is about to be replaced.
    const owner = this.#owners.isHeld(id) && (ownsPeerId(id, token) || this.#owners.mayUse(id, token));
    const replacing = owner && this.#owners.socketOf(id)?.address === address;
    const full = this.#perAddress.of(address) >= limits.connectionsPerAddress && !replacing;
    if (full || !((owner && this.#ownerReconnects.allow(id)) || this.#connects.allow(address))) {
      return refuse(socket, 429, 'Too Many Requests');
    }

    // Refused with words, which needs a WebSocket: PeerJS cannot read an HTTP status.
    const refusal = this.#perAddress.total >= this.#options.maxPeers ? 'busy' : this.#misroutes(id) ? 'misrouted' : null;

    // Counted from before the handshake until the TCP connection is gone, whatever happens.
    this.#perAddress.opened(address);
    socket.once('close', () => this.#perAddress.closed(address));
    this.#sockets.handleUpgrade(request, socket, head, (ws) => {
      // An oversized or malformed frame. ws would close politely and then read (and
      // discard) whatever else the client sends for up to 30 s — 40 MiB at a time.
      ws.on('error', () => setImmediate(() => ws.terminate()));
      if (refusal === null) return this.#accept(ws, path, address, id, token);
      ws.send(JSON.stringify({ type: 'ERROR', payload: { msg: BROKER_REFUSALS[refusal] } }));
      ws.close();
    });
  }

  /** Whether `id` belongs to another shard than this process's: the load balancer sent it here by mistake. */
  #misroutes(id: string): boolean {
    const shards = this.#options.shards;
    if (!shards) return false;
    // Ids with no shard, and ids Ferry did not make (older pages), live on the first.
    const shard = shardOf(id) || shards.names[0];
    if (shard === shards.own) return false;
    this.#misrouted.count += 1;
    const now = performance.now();
    if (now - this.#misrouted.loggedAt >= MISROUTED_LOG_MS) {
      this.#options.log(
        `broker: ${this.#misrouted.count} client(s) of shard ${JSON.stringify(shard)} reached this process of shard ` +
          `${JSON.stringify(shards.own)}: unless someone is making ids up, the load balancer is not routing ` +
          `/s/${shard}/ to shard ${shard}'s processes`,
      );
      this.#misrouted = { count: 0, loggedAt: now };
    }
    return true;
  }

  #accept(ws: WebSocket, path: string, address: string, id: string, token: string): void {
    // A token the id was made from owns it here whatever this process remembers: after
    // a fail-over to a process that never saw the owner, someone else who read the id
    // in a link may have asked first. Ids made before then are owned by who came first.
    if (!ownsPeerId(id, token) && !this.#owners.mayUse(id, token)) {
      ws.send(JSON.stringify({ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } }));
      ws.close();
      return;
    }
    // The owner is back while its old socket still looks open (a reload, or a phone
    // that changed networks before the server noticed), or someone else took the id
    // while it was away. Either socket goes first, or `peer` would adopt the new one
    // silently, never answering OPEN.
    this.#owners.socketOf(id)?.retire();
    const socket = new BrokerSocket(ws, address, this.#options.limits);
    this.#owners.attach(id, token, socket);
    ws.once('close', () => this.#owners.detach(id, socket));
    ws.on('message', (data, isBinary) => this.#onMessage(socket, id, data, isBinary));
    // `peer` registers the id and answers OPEN. It reads the query itself, so it is
    // handed the one checked here, rebuilt, not the client's.
    const checked = new URLSearchParams({ key: KEY, id, token });
    this.emit('connection', socket, { url: `${path}?${checked}` });
    for (const held of this.#held.take(id)) {
      if (held.offer !== undefined) this.#replies.grant(id, held.src, held.offer);
      socket.send(held.text);
    }
  }

  #onMessage(from: BrokerSocket, src: string, data: RawData, isBinary: boolean): void {
    // ws still reads what a refused client sent before its close: none of it is looked at.
    if (!from.open) return;
    const text = isBinary ? null : rawText(data);
    const message = text === null ? null : parseClientMessage(text);
    const relay = message === null || message.type === 'HEARTBEAT' ? null : message;
    const connectionId = relay === null ? '' : String(relay.payload.connectionId);
    // A reply to an offer relayed to this socket is its offerer's doing, within a bound.
    const owed = relay !== null && relay.type !== 'OFFER' && this.#replies.use(src, relay.dst, connectionId);
    // A large message costs more: the rate then bounds bytes as well as messages.
    const cost = 1 + Math.floor((text?.length ?? 0) / 8192);
    if (!owed && !from.budget.allow(cost)) {
      from.refuse('Too many messages: slow down.');
      return;
    }
    if (message === null) return; // nothing an honest client sends: dropped, unanswered
    if (message.type === 'HEARTBEAT') {
      from.emit('message', text);
      return;
    }
    const relayed = JSON.stringify({ type: message.type, src, dst: message.dst, payload: message.payload });
    const offer = message.type === 'OFFER' ? connectionId : undefined;
    const destination = this.#owners.socketOf(message.dst);
    if (destination) {
      // Past what the destination may be sent, dropped: the sender keeps its socket,
      // and an honest dialler retries as it does after any lost message.
      if (!destination.inbound.allow(from.address, relayed.length)) return;
      if (offer !== undefined) this.#replies.grant(message.dst, src, offer);
      from.emit('message', relayed);
    } else if (!this.#held.hold({ src, dst: message.dst, text: relayed, ...(offer !== undefined && { offer }) })) {
      from.send(JSON.stringify({ type: 'EXPIRE', src: message.dst, dst: src }));
    }
  }

  #sweep(): void {
    this.#owners.sweep();
    this.#replies.sweep();
    for (const { src, dst } of this.#held.expire()) {
      this.#owners.socketOf(src)?.send(JSON.stringify({ type: 'EXPIRE', src: dst, dst: src }));
    }
  }
}

/**
 * The socket `peer` is given: it can only be sent to and closed, and neither can
 * throw — so nothing one client sends can make `peer` close another's socket.
 * Messages reach `peer` only when BrokerGuard emits them, after its checks.
 */
class BrokerSocket extends EventEmitter {
  /** The client's address (IPv4, or IPv6 /64). */
  readonly address: string;
  /** What this socket may send; its own, whoever else shares its address. */
  readonly budget: Budget;
  readonly #ws: WebSocket;
  readonly #limits: BrokerLimits;
  #inbound: InboundLimit | undefined;
  #closed = false;

  constructor(ws: WebSocket, address: string, limits: BrokerLimits) {
    super();
    this.#ws = ws;
    this.address = address;
    this.#limits = limits;
    this.budget = new Budget({ ratePerSecond: limits.messagesPerSecond, burst: limits.messageBurst });
    ws.once('close', () => this.#emitClose());
  }

  /** What may still be relayed to this socket (made when first needed: most sockets are sent little). */
  get inbound(): InboundLimit {
    return (this.#inbound ??= new InboundLimit(this.#limits));
  }

  /** Closed for `peer` at once (so the id is free for its owner's new socket), then for real. */
  retire(): void {
    this.#emitClose();
    this.#ws.terminate();
  }

  #emitClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends `text`; a client that lets too much pile up unread is let go (its close reaches `peer` as usual). */
  send(text: string): void {
    if (!this.open) return;
    this.#ws.send(text);
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) this.#ws.terminate();
  }

  /** Tells the client why, then closes its socket (its own; never anyone else's). */
  refuse(reason: string): void {
    this.send(JSON.stringify({ type: 'ERROR', payload: { msg: reason } }));
    this.close();
  }

  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/**
 * The id and token of a broker query, if it is one the PeerJS client sends: key, id
 * and token once each (and its version at most once), nothing else. A name given
 * twice would let `peer`, which reads the last, see another id than the guard did.
 */
function checkedQuery(query: string): { id: string; token: string } | null {
  const params = new URLSearchParams(query);
  const names = [...params.keys()];
  if (new Set(names).size !== names.length) return null;
  if (names.some((name) => name !== 'key' && name !== 'id' && name !== 'token' && name !== 'version')) return null;
  const id = params.get('id');
  const token = params.get('token');
  const version = params.get('version');
  if (!isPeerId(id) || token === null || !TOKEN.test(token) || params.get('key') !== KEY) return null;
  if (version !== null && !VERSION.test(version)) return null;
  return { id, token };
}
