/**
 * The broker of a Ferry server as a share host uses it (session/host-ports.ts),
 * through PeerJS: in the browser, and in the terminal over node-datachannel's WebRTC.
 * What is PeerJS's own — its error types, its serializations, where it keeps the ICE
 * servers — stays here.
 */
import type Peer from 'peerjs';
import type { DataConnection } from 'peerjs';
import type { ConnectionListener, HostBroker, HostPeer, IncomingConnection, ReceiverChannel, PeerListener } from '../session/host-ports.ts';
import { describeConnection, fetchClientConfig, openPeer, type ClientConfig, type PeerLog } from './broker.ts';
import { peerIdFor, pickShard, shardOf } from '../common/broker-ids.ts';
import { watchPath } from './connection-path.ts';
import { DIAL_TIMES, hasRelay } from './dial.ts';
import { FERRY_CONNECTION } from './peer-guard.ts';

/** The broker of the Ferry server at `server` (its origin). */
export function shareBroker(server: string, log?: PeerLog): HostBroker {
  return {
    // The receiver gives up after DIAL_TIMES.totalMs from its own start; its offer
    // reaches us a little later.
    dialMs: DIAL_TIMES.totalMs,
    async newPeerId(token) {
      // Bounded: a server that does not answer must not hold up the share (nor Ctrl-C).
      const shards = await fetchClientConfig(server, AbortSignal.timeout(DIAL_TIMES.serverMs)).then((config) => config.shards, () => []);
      return peerIdFor(pickShard(shards), token);
    },
    async register(peerId, token, admit) {
      const config = await fetchClientConfig(server);
      const peer = await openPeer(server, config, { shard: shardOf(peerId) ?? '', id: peerId, token, admit }, log);
      return new PeerHost(peer, server, config);
    },
  };
}

class PeerHost implements HostPeer {
  readonly #peer: Peer;
  readonly #server: string;
  readonly relay: boolean;
  readonly iceLifetimeMs: number | null;

  constructor(peer: Peer, server: string, config: ClientConfig) {
    this.#peer = peer;
    this.#server = server;
    this.relay = hasRelay(config);
    this.iceLifetimeMs = config.ttl ? config.ttl * 1000 : null;
  }

  get open(): boolean {
    return this.#peer.open;
  }

  get disconnected(): boolean {
    return this.#peer.disconnected;
  }

  get destroyed(): boolean {
    return this.#peer.destroyed;
  }

  listen(listener: PeerListener): void {
    const peer = this.#peer;
    peer.on('connection', (connection) => {
      // The broker filter (peer-guard.ts) lets only raw connections through; the host
      // depends on it.
      if (connection.serialization === FERRY_CONNECTION.serialization) listener.connection(new IncomingPeerConnection(connection));
      else connection.close();
    });
    peer.on('open', () => listener.open());
    peer.on('disconnected', () => listener.disconnected());
    peer.on('error', (error) => {
      // Errors about one receiver's connection are that session's business.
      if (error.type !== 'peer-unavailable' && error.type !== 'webrtc') listener.error();
    });
  }

  reconnect(): void {
    this.#peer.reconnect();
  }

  disconnect(): void {
    this.#peer.disconnect();
  }

  async renewIce(): Promise<void> {
    const fresh = await fetchClientConfig(this.#server);
    // PeerJS builds each incoming connection from the options it was given.
    (this.#peer.options.config as RTCConfiguration).iceServers = fresh.iceServers;
  }

  destroy(): void {
    this.#peer.destroy();
  }
}

class IncomingPeerConnection implements IncomingConnection {
  readonly #connection: DataConnection;

  constructor(connection: DataConnection) {
    this.#connection = connection;
  }

  get connectionId(): string {
    return this.#connection.connectionId;
  }

  get source(): string {
    return this.#connection.peer;
  }

  get iceStarted(): boolean {
    return this.#connection.peerConnection?.iceConnectionState !== 'new';
  }

  listen(listener: ConnectionListener): void {
    const connection = this.#connection;
    connection.on('open', () => listener.open());
    connection.on('close', () => listener.close());
    connection.on('error', (error) => {
      // ICE failed before the channel opened: PeerJS closes the connection without a
      // 'close'. (Once open, the channel's own end tells the session.)
      if (error.type === 'negotiation-failed' && !connection.open) listener.failed();
    });
  }

  async describe(): Promise<ReceiverChannel> {
    const { peerConnection, ...opened } = await describeConnection(this.#connection);
    return { ...opened, watchPath: (onpath, signal) => watchPath(peerConnection, onpath, signal) };
  }

  close(): void {
    this.#connection.close();
  }
}
