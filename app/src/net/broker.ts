/**
 * The PeerJS side of Ferry: our own broker (same origin, under /peerjs) and the ICE
 * servers the server is configured with. PeerJS's defaults — its public cloud broker
 * and public STUN/TURN servers — are never used: with no ICE servers configured,
 * browsers connect over host candidates only.
 */
import Peer, { type DataConnection, type PeerError } from 'peerjs';

export interface ClientConfig {
  iceServers: RTCIceServer[];
}

/** Reads /api/config, failing with a message a person can act on. */
export async function fetchClientConfig(signal?: AbortSignal): Promise<ClientConfig> {
  let response: Response;
  try {
    response = await fetch('/api/config', { cache: 'no-store', signal: signal ?? null });
  } catch {
    throw new Error('Cannot reach the Ferry server. Check your network connection.');
  }
  if (!response.ok) throw new Error(`The Ferry server answered ${response.status}.`);
  const body = (await response.json()) as Partial<ClientConfig>;
  return { iceServers: Array.isArray(body.iceServers) ? body.iceServers : [] };
}

/** Connects to the broker, as `id` or with an id the broker assigns. */
export function openPeer(config: ClientConfig, id?: string): Promise<Peer> {
  const secure = location.protocol === 'https:';
  const options = {
    host: location.hostname,
    port: Number(location.port) || (secure ? 443 : 80),
    path: '/peerjs',
    key: 'peerjs',
    secure,
    config: { iceServers: config.iceServers },
    debug: 1,
  };
  const peer = id ? new Peer(id, options) : new Peer(options);
  return new Promise((resolve, reject) => {
    const onError = (error: PeerError<string>) => {
      peer.off('open', onOpen);
      peer.destroy();
      reject(new Error(brokerErrorMessage(error.type)));
    };
    const onOpen = () => {
      peer.off('error', onError);
      resolve(peer);
    };
    peer.once('open', onOpen);
    peer.once('error', onError);
  });
}

export function brokerErrorMessage(type: string): string {
  switch (type) {
    case 'peer-unavailable':
      return 'The sender is not online. Their Ferry page may have been closed.';
    case 'network':
    case 'server-error':
    case 'socket-error':
    case 'socket-closed':
      return 'Lost contact with the Ferry server. Check your network connection.';
    case 'browser-incompatible':
      return 'This browser cannot make direct connections (WebRTC is missing or disabled).';
    case 'unavailable-id':
      return 'This share’s id is already in use on the server.';
    default:
      return `Connection failed (${type}).`;
  }
}

export interface OpenConnection {
  channel: RTCDataChannel;
  maxMessageSize: number;
  localSdp: string;
  remoteSdp: string;
}

/**
 * What the transfer core needs from an open PeerJS connection. We keep our own
 * reference to the RTCDataChannel: PeerJS drops it when the connection closes.
 */
export function describeConnection(connection: DataConnection): OpenConnection {
  const pc = connection.peerConnection;
  const localSdp = pc.localDescription?.sdp;
  const remoteSdp = pc.remoteDescription?.sdp;
  if (!localSdp || !remoteSdp) throw new Error('the connection has no session descriptions');
  // Safari and Chromium negotiate 256 KiB; 64 KiB is the safe floor everyone accepts.
  const negotiated = pc.sctp?.maxMessageSize;
  const maxMessageSize = negotiated && Number.isFinite(negotiated) && negotiated > 0 ? negotiated : 65536;
  closeWhenUnreachable(pc, connection.dataChannel);
  return { channel: connection.dataChannel, maxMessageSize, localSdp, remoteSdp };
}

/** How long ICE may stay 'disconnected' before we call the peer gone. */
const DISCONNECTED_GRACE_MS = 4000;

/**
 * Closes the channel when the peer is unreachable. A peer whose tab was closed does
 * not always close the channel: it just stops answering, and only ICE consent checks
 * notice, moving to 'disconnected' within seconds. Closing the channel then turns
 * that silence into the same 'close' event an orderly hang-up gives.
 */
export function closeWhenUnreachable(pc: RTCPeerConnection, channel: RTCDataChannel): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    clearTimeout(timer);
    const state = pc.iceConnectionState;
    if (state === 'failed' || state === 'closed') channel.close();
    else if (state === 'disconnected') timer = setTimeout(() => channel.close(), DISCONNECTED_GRACE_MS);
  };
  pc.addEventListener('iceconnectionstatechange', check);
  channel.addEventListener('close', () => {
    clearTimeout(timer);
    pc.removeEventListener('iceconnectionstatechange', check);
  });
}
