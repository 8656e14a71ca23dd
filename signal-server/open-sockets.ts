/**
 * Every TCP connection the server holds, counted per address. Upgraded (websocket)
 * connections are no longer known to the HTTP server, so closeAllConnections() would
 * leave them open and server.close() would wait for them forever: the broker keeps
 * its websockets open until the client leaves. And idle or half-sent connections cost
 * a file descriptor each until a timeout ends them: one address must not be able to
 * use up the process's descriptors.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import { AddressCounts } from './address-counts.ts';
import { addressKey, bare } from './ip-address.ts';

export interface OpenSockets {
  /** Drops every connection, websockets included. */
  destroyAll(): void;
}

/**
 * Refuses a connection from an address that holds `maxPerAddress` already. A trusted
 * proxy's connections carry many people's, and are not counted.
 */
export function countOpenSockets(
  server: http.Server | https.Server,
  maxPerAddress: number,
  trustedProxies: ReadonlySet<string>,
): OpenSockets {
  const sockets = new Set<Socket>();
  const socketsPerAddress = new AddressCounts();
  server.on('connection', (socket: Socket) => {
    const remote = bare(socket.remoteAddress ?? '');
    const address = trustedProxies.has(remote) ? null : addressKey(remote);
    if (address !== null) {
      if (socketsPerAddress.of(address) >= maxPerAddress) {
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
  return {
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
