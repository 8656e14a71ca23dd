/**
 * The PeerJS side of Ferry: our own broker (same origin, under /peerjs) and the ICE
 * servers the server is configured with. PeerJS's defaults — its public cloud broker
 * and public STUN/TURN servers — are never used: with no ICE servers configured,
 * browsers connect over host candidates only.
 */
import Peer, { type DataConnection, type PeerError } from 'peerjs';
import type { Channel } from '../transfer/channel.ts';

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
  channel: Channel;
  maxMessageSize: number;
  localSdp: string;
  remoteSdp: string;
}

/** What the transfer core needs from an open PeerJS connection. */
export function describeConnection(connection: DataConnection): OpenConnection {
  const pc = connection.peerConnection;
  const localSdp = pc.localDescription?.sdp;
  const remoteSdp = pc.remoteDescription?.sdp;
  if (!localSdp || !remoteSdp) throw new Error('the connection has no session descriptions');
  // Safari and Chromium negotiate 256 KiB; 64 KiB is the safe floor everyone accepts.
  const negotiated = pc.sctp?.maxMessageSize;
  const maxMessageSize = negotiated && Number.isFinite(negotiated) && negotiated > 0 ? negotiated : 65536;
  return { channel: new PeerChannel(pc, connection.dataChannel), maxMessageSize, localSdp, remoteSdp };
}

/** How long ICE may stay 'disconnected' before we call the peer gone. */
const DISCONNECTED_GRACE_MS = 4000;

/**
 * The data channel as the transfer core sees it, with one addition: 'close' also
 * fires when the peer becomes unreachable. A peer whose tab crashed or whose network
 * vanished never closes the channel; it just stops answering, and only ICE consent
 * checks notice. Closing the channel ourselves would not help — a close waits for
 * the other side's acknowledgement — so we report the end and tear the connection
 * down. We also keep our own reference to the channel: PeerJS drops it on close.
 */
class PeerChannel extends EventTarget implements Channel {
  readonly #pc: RTCPeerConnection;
  readonly #channel: RTCDataChannel;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(pc: RTCPeerConnection, channel: RTCDataChannel) {
    super();
    this.#pc = pc;
    this.#channel = channel;
    channel.addEventListener('message', (event) => this.dispatchEvent(new MessageEvent('message', { data: event.data })));
    channel.addEventListener('bufferedamountlow', () => this.dispatchEvent(new Event('bufferedamountlow')));
    channel.addEventListener('close', () => this.#end());
    pc.addEventListener('iceconnectionstatechange', this.#checkIce);
  }

  get bufferedAmount(): number {
    return this.#channel.bufferedAmount;
  }

  get bufferedAmountLowThreshold(): number {
    return this.#channel.bufferedAmountLowThreshold;
  }

  set bufferedAmountLowThreshold(bytes: number) {
    this.#channel.bufferedAmountLowThreshold = bytes;
  }

  get readyState(): string {
    return this.#closed ? 'closed' : this.#channel.readyState;
  }

  send(frame: Uint8Array<ArrayBuffer>): void {
    this.#channel.send(frame);
  }

  close(): void {
    this.#channel.close();
    // The far end may never acknowledge; do not wait for it to call the link closed.
    this.#end();
  }

  #checkIce = (): void => {
    clearTimeout(this.#timer);
    const state = this.#pc.iceConnectionState;
    if (state === 'failed' || state === 'closed') this.#end();
    else if (state === 'disconnected') this.#timer = setTimeout(() => this.#end(), DISCONNECTED_GRACE_MS);
  };

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#pc.removeEventListener('iceconnectionstatechange', this.#checkIce);
    this.dispatchEvent(new Event('close'));
    // Let queued messages (a final error or receipt) leave before the transport goes.
    if (this.#channel.bufferedAmount === 0 || this.#pc.iceConnectionState !== 'connected') this.#pc.close();
    else this.#channel.addEventListener('close', () => this.#pc.close(), { once: true });
  }
}
