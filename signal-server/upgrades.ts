/**
 * WebSocket upgrades, which reach every 'upgrade' listener of the HTTP server: each
 * service (the broker, the presence stream) takes its own path and leaves the others'.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The path an upgrade asks for, without its query. Split by hand, as ws does: `new
 * URL` throws on targets like "http://[", which a client may send, and a throw in an
 * upgrade listener would end the process.
 */
export function upgradePath(request: http.IncomingMessage): string {
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** Answers an upgrade request with a plain HTTP error, before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const retry = status === 429 ? 'Retry-After: 5\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${retry}Content-Length: 0\r\n\r\n`);
}
