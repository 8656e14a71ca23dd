/**
 * The sending side's state: one share (a set of files behind one link) and the
 * receivers connected to it. Each receiver gets its own SenderSession; they share
 * the file hashes, so a file is hashed once however many people download it.
 */
import type Peer from 'peerjs';
import type { DataConnection } from 'peerjs';
import { describeConnection, fetchClientConfig, openPeer } from '../net/broker.ts';
import { FileHashes } from '../transfer/file-hashes.ts';
import { newPeerId, newSecret, shareLink } from '../transfer/link.ts';
import { SenderSession, type FileSource, type SenderSnapshot } from '../transfer/sender.ts';

export interface ReceiverRow {
  id: string;
  label: string;
  snapshot: SenderSnapshot;
  /** File payload bytes sent to this receiver over all its connections. */
  sentBytes: number;
}

export type BrokerStatus = 'idle' | 'starting' | 'online' | 'reconnecting' | 'error';

const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000];

export class Share {
  files = $state.raw<readonly FileSource[]>([]);
  link = $state<string | null>(null);
  status = $state<BrokerStatus>('idle');
  error = $state<string | null>(null);
  receivers = $state.raw<readonly ReceiverRow[]>([]);

  #peer: Peer | null = null;
  #sessions = new Map<string, SenderSession>();
  #hashes = new FileHashes();
  #count = 0;
  /** Bytes sent to each receiver on connections that have ended. */
  #sentBefore = new Map<string, number>();
  #reconnects = 0;

  get totalBytes(): number {
    return this.files.reduce((sum, file) => sum + file.size, 0);
  }

  async start(files: FileSource[]): Promise<void> {
    this.stop();
    this.files = files;
    this.status = 'starting';
    const peerId = newPeerId();
    const secret = newSecret();
    try {
      const config = await fetchClientConfig();
      const peer = await openPeer(config, peerId);
      if (this.files !== files) return peer.destroy(); // replaced while we waited
      this.#peer = peer;
      this.link = shareLink(location.origin, peerId, secret);
      this.status = 'online';
      peer.on('connection', (connection) => this.#accept(connection, secret));
      peer.on('disconnected', () => this.#reconnect(peer));
      peer.on('open', () => {
        this.status = 'online';
        this.#reconnects = 0;
      });
      peer.on('error', (error) => {
        // Errors about one receiver's connection are that session's business.
        if (error.type === 'peer-unavailable' || error.type === 'webrtc') return;
        if (!peer.open) this.#reconnect(peer);
      });
    } catch (error) {
      this.status = 'error';
      this.error = (error as Error).message;
    }
  }

  /** Closes every connection and forgets the files. */
  stop(): void {
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    this.#peer?.destroy();
    this.#peer = null;
    this.files = [];
    this.link = null;
    this.receivers = [];
    this.#sentBefore.clear();
    this.status = 'idle';
    this.error = null;
    this.#hashes = new FileHashes();
  }

  #reconnect(peer: Peer): void {
    if (peer !== this.#peer || peer.destroyed || this.status === 'reconnecting') return;
    this.status = 'reconnecting';
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#reconnects, RECONNECT_DELAYS_MS.length - 1)];
    this.#reconnects += 1;
    setTimeout(() => {
      if (peer !== this.#peer || peer.destroyed) return;
      this.status = 'starting';
      if (peer.disconnected) peer.reconnect();
    }, delay);
  }

  #accept(connection: DataConnection, secret: string): void {
    if (connection.serialization !== 'raw') {
      connection.close();
      return;
    }
    connection.on('open', () => {
      describeConnection(connection)
        .then((open) => {
          const session = new SenderSession({
            channel: open.channel,
            maxMessageSize: open.maxMessageSize,
            fingerprints: open.fingerprints,
            secret,
            files: this.files,
            hashes: this.#hashes,
            onchange: (snapshot) => this.#update(connection.connectionId, snapshot),
          });
          this.#sessions.set(connection.connectionId, session);
          void session.start();
        })
        .catch((error: Error) => {
          console.warn(`a receiver could not connect: ${error.message}`);
          connection.close();
        });
    });
  }

  /**
   * One row per receiver, not per connection: a receiver that reconnects names its
   * transfer in its hello, and its row carries on.
   */
  #update(connectionId: string, snapshot: SenderSnapshot): void {
    const id = snapshot.session ?? connectionId;
    const at = this.receivers.findIndex((existing) => existing.id === id);
    // Only a receiver that proved it holds the link gets a row; anyone else saw nothing.
    if (at === -1 && (snapshot.state === 'connecting' || snapshot.state === 'error')) return;
    const earlier = this.#sentBefore.get(id) ?? 0;
    const row = { id, label: at === -1 ? `Receiver ${++this.#count}` : this.receivers[at]!.label, snapshot, sentBytes: earlier + snapshot.sentBytes };
    if (snapshot.state === 'done' || snapshot.state === 'error') this.#sentBefore.set(id, row.sentBytes);
    this.receivers = at === -1 ? [...this.receivers, row] : this.receivers.with(at, row);
    if (snapshot.state === 'done' || snapshot.state === 'error') this.#sessions.delete(connectionId);
  }
}

/** One share per page: it outlives switching views, e.g. opening one's own link. */
export const share = new Share();

// Closing the tab hangs up on every receiver at once, so they hear it now rather
// than when their connection times out.
addEventListener('pagehide', (event) => {
  if (!event.persisted) share.stop();
});
