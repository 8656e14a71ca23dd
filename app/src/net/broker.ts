/**
 * The PeerJS side of Ferry: our own broker (same origin, under /peerjs) and the ICE
 * servers our server hands out (its own STUN responder, a TURN relay with fresh
 * credentials when one is configured). PeerJS's defaults — its public cloud broker
 * and public STUN/TURN servers — are never used.
 */
import Peer, { type DataConnection, type PeerError } from 'peerjs';
import { sdpFingerprint } from '../transfer/auth.ts';
import type { OpenChannel } from '../transfer/channel.ts';
import { FailureError, type Failure } from '../transfer/failure.ts';
import { brokerRefusal, type BrokerRefusal } from '../common/broker-refusals.ts';
import type { AdmitOffer } from '../session/host-ports.ts';
import { lanesLike } from './lanes.ts';
import { negotiatedMessageSize, PeerChannel } from './peer-channel.ts';
import { guardPeer } from './peer-guard.ts';
import { brokerPath, SHARD_NAME } from '../common/broker-ids.ts';

export interface ClientConfig {
  iceServers: RTCIceServer[];
  /** Seconds the TURN credentials in `iceServers` stay valid, when there are any. */
  ttl?: number;
  /** The server's shards (common/broker-ids.ts); none when one process serves every id. */
  shards: string[];
}

/** Reads the Ferry server's /api/config (`server` is its origin), failing with a code a person can act on. */
export async function fetchClientConfig(server: string, signal?: AbortSignal): Promise<ClientConfig> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/config', server), { cache: 'no-store', signal: signal ?? null });
  } catch {
    throw new FailureError({ code: 'server-unreachable' });
  }
  if (!response.ok) throw new FailureError({ code: 'server-answered', status: response.status });
  const body = (await response.json()) as Partial<ClientConfig>;
  const iceServers = Array.isArray(body.iceServers) ? body.iceServers : [];
  const shards = Array.isArray(body.shards) ? body.shards.filter((shard) => typeof shard === 'string' && SHARD_NAME.test(shard)) : [];
  return typeof body.ttl === 'number' && body.ttl > 0 ? { iceServers, ttl: body.ttl, shards } : { iceServers, shards };
}

export interface PeerIdentity {
  /** The shard whose broker to join (common/broker-ids.ts): the one `id` is on. */
  shard: string;
  id: string;
  /** Owns `id` at the broker (common/broker-ids.ts): the same on every reconnection. */
  token: string;
  /** Offers of connections are passed on only where it accepts them (peer-guard.ts). */
  admit?: AdmitOffer;
}

/**
 * Whether PeerJS writes its own errors to the console: on the page they are there
 * for whoever opens the developer tools; the terminal says what went wrong in its
 * own words, and PeerJS's lines would only mix into its output.
 */
export type PeerLog = 'errors' | 'silent';

/**
 * Connects to the broker of the Ferry server at `server` (its origin) as `id`, on
 * its shard. Rejects with a FailureError saying why the broker would not have us.
 */
export function openPeer(server: string, config: ClientConfig, { shard, id, token, admit }: PeerIdentity, log: PeerLog = 'errors'): Promise<Peer> {
  const { protocol, hostname, port } = new URL(server);
  const secure = protocol === 'https:';
  const options = {
    host: hostname,
    port: Number(port) || (secure ? 443 : 80),
    path: brokerPath(shard),
    key: 'peerjs',
    secure,
    config: { iceServers: config.iceServers },
    // PeerJS's LogLevel: 1 is its errors only. Its logger is shared by every Peer,
    // and each new Peer sets it.
    debug: log === 'errors' ? 1 : 0,
    ...(token !== undefined && { token }),
  };
  const peer = new Peer(id, options);
  guardPeer(peer, admit);
  return new Promise((resolve, reject) => {
    const onError = (error: PeerError<string>) => {
      peer.off('open', onOpen);
      peer.destroy();
      reject(new FailureError(brokerFailure(error)));
    };
    const onOpen = () => {
      peer.off('error', onError);
      resolve(peer);
    };
    peer.once('open', onOpen);
    peer.once('error', onError);
  });
}

/** What a Ferry broker's own refusals (common/broker-refusals.ts) mean. */
const REFUSALS: Record<BrokerRefusal, Failure> = {
  busy: { code: 'server-busy' },
  misrouted: { code: 'server-misrouted' },
};

/**
 * What PeerJS's error types mean to Ferry. Those missing (an invalid key, no SSL) are
 * set-up mistakes a person cannot act on: said by their name, for bug reports.
 */
const PEER_ERRORS: Partial<Record<string, Failure>> = {
  // The broker answers an offer to an id nobody holds with peer-unavailable.
  'peer-unavailable': { code: 'sender-offline' },
  network: { code: 'server-lost' },
  'server-error': { code: 'server-lost' },
  'socket-error': { code: 'server-lost' },
  'socket-closed': { code: 'server-lost' },
  'browser-incompatible': { code: 'no-webrtc' },
  'unavailable-id': { code: 'id-taken' },
};

/** Why the broker failed or turned us away, from the error PeerJS reports. */
export function brokerFailure(error: Pick<PeerError<string>, 'type' | 'message'>): Failure {
  // A Ferry broker's own refusals arrive as PeerJS server errors naming a code.
  const refusal = error.type === 'server-error' ? brokerRefusal(error.message) : null;
  if (refusal) return REFUSALS[refusal];
  return PEER_ERRORS[error.type] ?? { code: 'broker-failed', type: error.type };
}

/** A PeerJS connection whose channel is open, described for the core. */
export interface DescribedConnection extends OpenChannel {
  /** For reading which path the bytes take (connection-path.ts). */
  peerConnection: RTCPeerConnection;
}

/**
 * What the transfer core needs from a PeerJS connection whose channel just opened.
 * Call it in the 'open' handler itself: the channel is wrapped at once, so no
 * message is lost while we wait for the session descriptions. Once the channel has
 * ended and its transport is closed, PeerJS is told to forget the connection.
 */
export async function describeConnection(connection: DataConnection): Promise<DescribedConnection> {
  const pc = connection.peerConnection;
  const channel = new PeerChannel(pc, connection.dataChannel, () => connection.close());
  try {
    const { localSdp, remoteSdp } = await sessionDescriptions(pc);
    const maxMessageSize = negotiatedMessageSize(pc);
    const fingerprints = { local: sdpFingerprint(localSdp), remote: sdpFingerprint(remoteSdp) };
    return { channel, peerConnection: pc, maxMessageSize, fingerprints, lanes: lanesLike(pc) };
  } catch (error) {
    channel.close();
    throw error;
  }
}

const DESCRIPTION_TIMEOUT_MS = 10_000;

/**
 * Both SDPs, waiting for the remote one if need be: the channel can open before the
 * answer relayed by the broker has been applied, because the answerer's connectivity
 * checks and DTLS handshake may reach us directly before the broker's message does.
 */
function sessionDescriptions(pc: RTCPeerConnection): Promise<{ localSdp: string; remoteSdp: string }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const localSdp = pc.localDescription?.sdp;
      const remoteSdp = pc.remoteDescription?.sdp;
      if (!localSdp || !remoteSdp) return false;
      cleanup();
      resolve({ localSdp, remoteSdp });
      return true;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('the connection’s session description never arrived'));
    }, DESCRIPTION_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      pc.removeEventListener('signalingstatechange', check);
    };
    if (!check()) pc.addEventListener('signalingstatechange', check);
  });
}
