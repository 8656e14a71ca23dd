/**
 * One attempt to reach a sender: fetch fresh ICE servers (and so fresh TURN
 * credentials), join the broker, offer a connection and wait for its channel to
 * open — or fail, within a bounded time, saying which of these went wrong:
 *
 * - the broker says the sender's id is not connected: its page is closed;
 * - the sender's page never answered the offer: it is asleep or frozen;
 * - it answered, but ICE found no pair that works: no network path between the
 *   two devices (and whether a relay was there to try).
 *
 * Telling these apart matters: "the sender did not answer" sends people to check
 * the sender's page when what they need is the same Wi-Fi or a relay.
 */
import type Peer from 'peerjs';
import type { DataConnection, PeerConnectOption } from 'peerjs';
import { brokerFailure, describeConnection, fetchClientConfig, openPeer, type ClientConfig, type DescribedConnection, type PeerLog } from './broker.ts';
import { FERRY_CONNECTION } from './peer-guard.ts';
import { offerTicket } from '../transfer/auth.ts';
import { FailureError, type Failure, type RelayOutcome } from '../transfer/failure.ts';
import { base64url, type ShareAddress } from '../transfer/link.ts';
import { newBrokerToken, peerIdFor, shardOf } from '../common/broker-ids.ts';
import { canConnectDirectly } from './webrtc-support.ts';

export interface DialTimes {
  /**
   * To fetch the ICE servers and join the broker. Without a network the fetch can
   * hang rather than fail (a link that just went down), and the person should hear
   * at once that the server is out of reach, not after the whole deadline.
   */
  serverMs: number;
  /** From the offer to the sender's answer. A live page answers in well under a second. */
  answerMs: number;
  /**
   * From the start of the attempt to an open channel. Long enough for a relayed
   * connection over a slow mobile network; short enough that a person hears
   * within 45 s that no path exists (Chromium's own ICE gives up later than that).
   */
  totalMs: number;
}

export const DIAL_TIMES: DialTimes = { serverMs: 10_000, answerMs: 15_000, totalMs: 38_000 };

/** What a dial reaches: the connection to the sender, and the peer it was made on. */
export interface DialledConnection {
  /** Ours to destroy when the connection is done with. */
  peer: Peer;
  connection: DescribedConnection;
}

export function hasRelay(config: ClientConfig): boolean {
  return config.iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)));
}

/**
 * Reaches the sender through the Ferry server at `server` (its origin). Resolves with
 * an open, described connection; rejects with a FailureError, or with the signal's
 * reason once aborted. Whatever it made is torn down when it fails.
 */
export function dial(server: string, address: ShareAddress, signal: AbortSignal, times: DialTimes = DIAL_TIMES, log?: PeerLog): Promise<DialledConnection> {
  // Said at once: PeerJS would only fail later, in words about the server.
  if (!canConnectDirectly()) return Promise.reject(new FailureError({ code: 'no-webrtc' }));
  return new Promise((resolve, reject) => {
    const attempt = new DialAttempt(signal, times, resolve, reject);
    if (!attempt.settled) attempt.join(server, address, log);
  });
}

/**
 * One dial's state, as it moves through its stages: reaching the server, waiting
 * for the sender to answer the offer, waiting for ICE to find a path. However it
 * ends (`fail`, or an open channel in `#describe`), it settles once and `#finish`
 * stops the rest: the timers, the abort listener, the config fetch.
 */
class DialAttempt {
  settled = false;
  #peer: Peer | null = null;
  #stage: 'server' | 'offer' | 'ice' = 'server';
  #config: ClientConfig | null = null;
  /** What the relay did for us: gave a candidate, refused our credentials, or never answered. */
  #relay: 'tried' | 'refused' | 'unreachable' | null = null;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  /** Stops what this attempt started and has not finished (the config fetch). */
  readonly #cancel = new AbortController();
  readonly #onAbort = () => this.fail(this.signal.reason);

  constructor(
    readonly signal: AbortSignal,
    readonly times: DialTimes,
    readonly resolve: (dialled: DialledConnection) => void,
    readonly reject: (error: unknown) => void,
  ) {
    if (signal.aborted) {
      this.#onAbort();
      return;
    }
    signal.addEventListener('abort', this.#onAbort, { once: true });
    // Without a network the config fetch can hang rather than fail: say so at once.
    this.#after(times.serverMs, () => {
      if (this.#stage === 'server') this.#failWith({ code: 'server-unreachable' });
    });
    this.#after(times.totalMs, () => {
      if (this.#stage === 'offer') this.#failWith({ code: 'sender-silent' });
      else this.#noPath();
    });
  }

  /** Fetches fresh ICE servers (fresh TURN credentials), joins the broker on the sender's shard, and offers. */
  join(server: string, address: ShareAddress, log: PeerLog | undefined): void {
    fetchClientConfig(server, this.#cancel.signal)
      .then((config) => {
        if (this.settled) return;
        this.#config = config;
        // Our id is on the sender's shard, so the broker that holds the sender holds us.
        // A shard this server does not have (a link from elsewhere, a shard since
        // removed) cannot hold the sender: say so rather than blame the network.
        const shard = shardOf(address.peerId) ?? '';
        if (shard !== '' && !config.shards.includes(shard)) return this.#failWith({ code: 'sender-offline' });
        const token = newBrokerToken();
        return openPeer(server, config, { shard, id: peerIdFor(shard, token), token }, log).then((peer) => this.#offer(peer, address));
      })
      .catch((error: unknown) => this.fail(error));
  }

  #offer(peer: Peer, { peerId, secret }: ShareAddress): void {
    if (this.settled) return peer.destroy();
    this.#peer = peer;
    this.#stage = 'offer';
    peer.on('error', (error) => {
      // Trouble with the connection itself is reported on the connection.
      if (error.type !== 'webrtc') this.#failWith(brokerFailure(error));
    });
    // The ticket shows the sender we hold the link before it builds anything for us.
    // It covers the connection's id, so we choose the id: PeerJS takes one from the
    // options (as it does for incoming connections), though its types omit it.
    const connectionId = `dc_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
    const ticket = offerTicket(secret, peer.id, connectionId);
    const options = { ...FERRY_CONNECTION, connectionId, metadata: { ticket } } as PeerConnectOption;
    const connection = peer.connect(peerId, options);
    if (connection.connectionId !== connectionId) throw new Error('PeerJS changed: it no longer takes a connection id from the options');
    this.#watchIce(connection.peerConnection);
    this.#after(this.times.answerMs, () => {
      if (this.#stage === 'offer') this.#failWith({ code: 'sender-silent' });
    });
    // PeerJS reports an ICE failure as negotiation-failed, then closes the connection.
    connection.on('error', (error) => {
      if (error.type === 'negotiation-failed') this.#noPath();
    });
    connection.on('open', () => this.#describe(peer, connection));
  }

  /** Follows the offer's ICE: when the sender answered, and what the relay did for us. */
  #watchIce(pc: RTCPeerConnection): void {
    // A relay candidate means the relay worked, whatever else failed (one of several
    // URLs, an interface of the wrong family). Firefox reports no candidate errors.
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate?.type === 'relay') this.#relay = 'tried';
    });
    pc.addEventListener('icecandidateerror', (event) => {
      const { url, errorCode } = event as RTCPeerConnectionIceErrorEvent;
      // 401/403: the relay wants other credentials (a wrong FERRY_TURN_SECRET).
      if (/^turns?:/.test(url) && (errorCode === 401 || errorCode === 403) && this.#relay !== 'tried') this.#relay = 'refused';
    });
    pc.addEventListener('signalingstatechange', () => {
      if (pc.remoteDescription && this.#stage === 'offer') this.#stage = 'ice';
    });
  }

  /**
   * The channel opened: described at once, so it is wrapped before any message can be
   * missed. The deadline still runs: the description may wait for the broker's answer.
   */
  #describe(peer: Peer, connection: DataConnection): void {
    if (this.settled) return;
    describeConnection(connection).then(
      (described) => {
        if (this.settled) return described.channel.close();
        this.#finish();
        this.resolve({ peer, connection: described });
      },
      (error: unknown) => this.#failWith({ code: 'setup-failed', detail: error instanceof Error ? error.message : String(error) }),
    );
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.#finish();
    this.#peer?.destroy();
    this.reject(error);
  }

  #failWith(failure: Failure): void {
    this.fail(new FailureError(failure));
  }

  /** No pair of candidates worked: said with whether a relay was there to try, and what it did. */
  #noPath(): void {
    const relay: RelayOutcome = this.#config && hasRelay(this.#config) ? (this.#relay ?? 'unreachable') : 'none';
    this.#failWith({ code: 'no-path', relay });
  }

  #after(ms: number, then: () => void): void {
    this.#timers.push(setTimeout(then, ms));
  }

  #finish(): void {
    this.settled = true;
    this.#timers.forEach(clearTimeout);
    this.signal.removeEventListener('abort', this.#onAbort);
    this.#cancel.abort();
  }
}
