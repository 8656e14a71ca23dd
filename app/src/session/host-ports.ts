/**
 * What a share host needs from outside: the broker through which receivers reach it,
 * and the passage of time. The browser and the terminal reach the broker through
 * PeerJS (net/share-broker.ts); unit tests hand the host in-memory connections and
 * move time on by hand.
 */
import type { OpenChannel } from '../transfer/channel.ts';

/**
 * Whether an offer from broker identity `src` with this connection id and ticket may
 * build a connection (net/peer-guard.ts asks it of every offer). A page without one (a receiver's) accepts no offers.
 */
export type AdmitOffer = (src: string, connectionId: string, ticket: string) => boolean;

/** The broker of one Ferry server. */
export interface HostBroker {
  /**
   * How long a receiver keeps dialling. A connection offered to the host and still
   * not open by then found no network path.
   */
  readonly dialMs: number;
  /**
   * The id of a new share, owned through `token`, on one of the server's shards
   * (common/broker-ids.ts), so that its link leads receivers to the broker that holds it.
   * Never fails: a server out of reach gets an id without a shard, which the first
   * shard serves.
   */
  newPeerId(token: string): Promise<string>;
  /**
   * Registers `peerId`, owned through `token` (the same on every registration of the
   * id), with fresh ICE servers; only offers `admit` accepts become connections.
   * Resolves once the broker accepted the id. Rejects with an error carrying the
   * failure 'id-taken' while an earlier registration still holds the id, or with
   * whatever else stopped it (the server out of reach).
   */
  register(peerId: string, token: string, admit: AdmitOffer): Promise<HostPeer>;
}

/** An id registered with the broker, and the connections receivers offer it. */
export interface HostPeer {
  /** Whether its ICE servers include a TURN relay, for receivers with no direct path. */
  readonly relay: boolean;
  /** How long its TURN credentials stay valid; null when they do not lapse. */
  readonly iceLifetimeMs: number | null;
  /** In touch with the broker now. */
  readonly open: boolean;
  /** Lost the broker; reconnect() may bring it back. */
  readonly disconnected: boolean;
  /** Done with: it neither reconnects nor takes connections. */
  readonly destroyed: boolean;
  /** Hears what happens to the registration from now on. Call it once. */
  listen(listener: PeerListener): void;
  reconnect(): void;
  /** Gives up the broker connection, or the attempt to make one, keeping the id's connections; 'disconnected' follows. */
  disconnect(): void;
  /**
   * Fetches fresh ICE servers (new TURN credentials) for the connections offered from
   * now on. Rejects, changing nothing, when the server is out of reach.
   */
  renewIce(): Promise<void>;
  /** Leaves the broker and closes every connection. */
  destroy(): void;
}

export interface PeerListener {
  /** A receiver offered a connection (only the kind a Ferry receiver offers: net/peer-guard.ts). */
  connection(connection: IncomingConnection): void;
  /** The broker accepted the id again. */
  open(): void;
  /** The broker connection dropped. */
  disconnected(): void;
  /** The broker connection failed. Trouble with one receiver's connection is never reported here. */
  error(): void;
}

/** A connection a receiver offered. */
export interface IncomingConnection {
  /** Unique among the connections of one peer. */
  readonly connectionId: string;
  /** The broker identity that offered it. */
  readonly source: string;
  /**
   * ICE began checking network paths. Before that, a connection that never opens was
   * left by its receiver; after it, it found no path that works.
   */
  readonly iceStarted: boolean;
  /** Hears what happens to the connection from now on. Call it once. */
  listen(listener: ConnectionListener): void;
  /** The open channel as the transfer core needs it (net/broker.ts describeConnection). */
  describe(): Promise<ReceiverChannel>;
  close(): void;
}

export interface ConnectionListener {
  /** Its channel opened. Call describe() here, not later, so that no message is missed. */
  open(): void;
  /** It ended. */
  close(): void;
  /** ICE found no path before the channel opened; no 'close' follows. */
  failed(): void;
}

/** A receiver's connection whose channel is open, as the host serves it. */
export interface ReceiverChannel extends OpenChannel {
  /** Calls `onpath` with the path now and whenever ICE settles on another, until `signal` aborts. */
  watchPath(onpath: (path: ConnectionPath) => void, signal: AbortSignal): void;
}

/**
 * Which way a connection's bytes travel: host to host, through a NAT, or through a
 * relay (named by its host, when known). net/connection-path.ts reads it from the
 * browser's ICE statistics.
 */
export interface ConnectionPath {
  kind: 'local' | 'direct' | 'relay';
  relay?: string;
}
