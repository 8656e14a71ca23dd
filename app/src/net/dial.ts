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
import type { PeerConnectOption } from 'peerjs';
import { describeConnection, fetchClientConfig, openPeer, type ClientConfig, type DescribedConnection, type PeerLog } from './broker.ts';
import { dialFailureMessage, type DialFailure } from './dial-failure.ts';
import { FERRY_CONNECTION } from './peer-guard.ts';
import { offerTicket } from '../transfer/auth.ts';
import { base64url, type ShareAddress } from '../transfer/link.ts';
import { newBrokerToken, peerIdFor, shardOf } from './broker-ids.ts';
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

export class DialError extends Error {
  override name = 'DialError';
  constructor(readonly failure: DialFailure) {
    super(dialFailureMessage(failure));
  }
}

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
 * Reaches the sender through the Ferry server at `server` (its origin). Resolves with an open, described connection; rejects with a DialError, or with
 * the signal's reason once aborted. Whatever it made is torn down when it fails.
 */
export function dial(
  server: string,
  { peerId, secret }: ShareAddress,
  signal: AbortSignal,
  times: DialTimes = DIAL_TIMES,
  log?: PeerLog,
): Promise<DialledConnection> {
  // Said at once: PeerJS would only fail later, in words about the server.
  if (!canConnectDirectly()) return Promise.reject(new DialError({ code: 'no-webrtc' }));
  return new Promise((resolve, reject) => {
    let peer: Peer | null = null;
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    let stage: 'server' | 'offer' | 'ice' = 'server';
    let config: ClientConfig | null = null;
    /** What the relay did for us: gave a candidate, refused our credentials, or never answered. */
    let relayOutcome: 'tried' | 'refused' | 'unreachable' | null = null;
    /** Stops what this attempt started and has not finished (the config fetch). */
    const cancel = new AbortController();

    const finish = () => {
      settled = true;
      timers.forEach(clearTimeout);
      signal.removeEventListener('abort', onAbort);
      cancel.abort();
    };
    const fail = (error: unknown) => {
      if (settled) return;
      finish();
      peer?.destroy();
      reject(error);
    };
    const failWith = (failure: DialFailure) => fail(new DialError(failure));
    const noPath = () =>
      failWith({ code: 'no-path', relay: config && hasRelay(config) ? (relayOutcome ?? 'unreachable') : 'none' });
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    timers.push(
      setTimeout(() => {
        if (stage === 'server') failWith({ code: 'server-unreachable' });
      }, times.serverMs),
      setTimeout(() => {
        if (stage === 'offer') failWith({ code: 'sender-silent' });
        else noPath();
      }, times.totalMs),
    );

    const connect = (opened: Peer) => {
      if (settled) return opened.destroy();
      peer = opened;
      stage = 'offer';
      opened.on('error', (error) => {
        // The broker answers an offer to an id nobody holds with peer-unavailable.
        if (error.type === 'peer-unavailable') failWith({ code: 'sender-offline' });
        else if (error.type !== 'webrtc') failWith({ code: 'broker', type: error.type });
      });
      // The ticket shows the sender we hold the link before it builds anything for us.
      // It covers the connection's id, so we choose the id: PeerJS takes one from the
      // options (as it does for incoming connections), though its types omit it.
      const connectionId = `dc_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
      const ticket = offerTicket(secret, opened.id, connectionId);
      const options = { ...FERRY_CONNECTION, connectionId, metadata: { ticket } } as PeerConnectOption;
      const connection = opened.connect(peerId, options);
      if (connection.connectionId !== connectionId) throw new Error('PeerJS changed: it no longer takes a connection id from the options');
      const pc = connection.peerConnection;
      // A relay candidate means the relay worked, whatever else failed (one of several
      // URLs, an interface of the wrong family). Firefox reports no candidate errors.
      pc.addEventListener('icecandidate', ({ candidate }) => {
        if (candidate?.type === 'relay') relayOutcome = 'tried';
      });
      pc.addEventListener('icecandidateerror', (event) => {
        const { url, errorCode } = event as RTCPeerConnectionIceErrorEvent;
        // 401/403: the relay wants other credentials (a wrong FERRY_TURN_SECRET).
        if (/^turns?:/.test(url) && (errorCode === 401 || errorCode === 403) && relayOutcome !== 'tried') relayOutcome = 'refused';
      });
      pc.addEventListener('signalingstatechange', () => {
        if (pc.remoteDescription && stage === 'offer') stage = 'ice';
      });
      timers.push(
        setTimeout(() => {
          if (stage === 'offer') failWith({ code: 'sender-silent' });
        }, times.answerMs),
      );
      // PeerJS reports an ICE failure as negotiation-failed, then closes the connection.
      connection.on('error', (error) => {
        if (error.type === 'negotiation-failed') noPath();
      });
      connection.on('open', () => {
        if (settled) return;
        // Described at once: the channel is wrapped before any message can be missed.
        // The deadline still runs: the description may wait for the broker's answer.
        describeConnection(connection).then(
          (described) => {
            if (settled) return described.channel.close();
            finish();
            resolve({ peer: opened, connection: described });
          },
          (error: unknown) => failWith({ code: 'setup-failed', detail: error instanceof Error ? error.message : String(error) }),
        );
      });
    };

    fetchClientConfig(server, cancel.signal)
      .then((fetched) => {
        if (settled) return;
        config = fetched;
        // Our id is on the sender's shard, so the broker that holds the sender holds us.
        // A shard this server does not have (a link from elsewhere, a shard since
        // removed) cannot hold the sender: say so rather than blame the network.
        const shard = shardOf(peerId) ?? '';
        if (shard !== '' && !fetched.shards.includes(shard)) return failWith({ code: 'sender-offline' });
        const token = newBrokerToken();
        return openPeer(server, fetched, { shard, id: peerIdFor(shard, token), token }, log).then(connect);
      })
      .catch(fail);
  });
}
