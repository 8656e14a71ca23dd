/**
 * The presence stream (app/src/common/presence-wire.ts): a WebSocket that says nothing
 * but that the server is still here. A page without a broker socket holds one while
 * it is visible, so it hears the moment the server goes — the socket closes — and
 * tens of thousands of open pages cost idle sockets and a heartbeat every 20 s, not
 * a request each every few seconds. Held to the broker's per-address bounds: as many
 * streams and as many new ones a second as broker sockets.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PRESENCE_HEARTBEAT_MS, PRESENCE_PATH } from '../app/src/common/presence-wire.ts';
import { AddressCounts } from './address-counts.ts';
import type { BrokerLimits } from './broker-limits.ts';
import { clientAddress } from './ip-address.ts';
import { isOwnOrigin } from './origins.ts';
import { RateLimiter } from './rate-limiter.ts';
import { refuseUpgrade, upgradePath } from './upgrades.ts';

export { PRESENCE_PATH };

export interface PresenceOptions {
  allowedOrigins: readonly string[];
  trustedProxies: ReadonlySet<string>;
  limits: Pick<BrokerLimits, 'connectionsPerAddress' | 'connectsPerSecond' | 'connectBurst'>;
  heartbeatMs?: number;
}

export interface PresenceService {
  /** Streams open now (all addresses). */
  count(): number;
  close(): void;
}

export function servePresence(server: http.Server, options: PresenceOptions): PresenceService {
  const { allowedOrigins, trustedProxies, limits } = options;
  // Pages never speak on it: anything they send ends the stream.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16, clientTracking: false });
  const perAddress = new AddressCounts();
  const connects = new RateLimiter({ ratePerSecond: limits.connectsPerSecond, burst: limits.connectBurst });
  /** Open streams, each with whether it answered the last ping. */
  const open = new Map<WebSocket, { alive: boolean }>();

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (upgradePath(request) !== PRESENCE_PATH) return;
    socket.on('error', () => socket.destroy());
    if (!isOwnOrigin(request.headers.origin, request.headers.host, allowedOrigins)) return refuseUpgrade(socket, 403, 'Forbidden');
    const address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies);
    if (perAddress.of(address) >= limits.connectionsPerAddress || !connects.allow(address)) {
      return refuseUpgrade(socket, 429, 'Too Many Requests');
    }
    perAddress.opened(address);
    socket.once('close', () => perAddress.closed(address));
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const liveness = { alive: true };
      open.set(ws, liveness);
      ws.on('pong', () => (liveness.alive = true));
      ws.on('message', () => ws.terminate());
      ws.on('error', () => ws.terminate());
      ws.once('close', () => open.delete(ws));
    });
  });

  // One timer for every stream: a page that vanished without closing (a phone that
  // lost its network) missed the last ping and is let go.
  const timer = setInterval(() => {
    for (const [ws, liveness] of open) {
      if (!liveness.alive) {
        ws.terminate();
        continue;
      }
      liveness.alive = false;
      ws.ping();
      ws.send('');
    }
  }, options.heartbeatMs ?? PRESENCE_HEARTBEAT_MS);
  timer.unref();

  return {
    count: () => open.size,
    close: () => clearInterval(timer),
  };
}
