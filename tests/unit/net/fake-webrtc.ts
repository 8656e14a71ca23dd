/**
 * Just enough of WebSocket and WebRTC for the PeerJS client to run in Node: a broker
 * socket the test speaks for, and peer connections that count themselves. Import it
 * before PeerJS: PeerJS decides at load time whether the platform has WebRTC.
 *
 * Closing a peer connection closes its data channels without a 'close' event, as the
 * specification says and Safari did until 2025 (Chromium and Firefox fire one); set
 * `FakePeerConnection.closeFiresChannelClose` to model those.
 */

/** The broker, as one page's socket sees it. */
export class FakeWebSocket {
  static latest: FakeWebSocket | null = null;
  readyState = 0;
  readonly sent: Array<Record<string, unknown>> = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.latest = this;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.readyState = 3;
  }

  /** The broker accepts the page (it then sends OPEN). */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.deliver({ type: 'OPEN' });
  }

  /** A message from the broker, as JSON on the wire. */
  deliver(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

export const SENDER_SDP = 'v=0\r\na=fingerprint:sha-256 AA:BB\r\na=sctp-port:5000\r\n';
export const RECEIVER_SDP = 'v=0\r\na=fingerprint:sha-256 11:22\r\na=sctp-port:5000\r\n';

export class FakeDataChannel extends EventTarget {
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  binaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly ordered = true;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: Event) => void) | null = null;
  onclose: ((event: Event) => void) | null = null;
  readonly sent: unknown[] = [];

  constructor(readonly label: string) {
    super();
  }

  send(data: unknown): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    this.sent.push(data);
  }

  close(): void {
    if (this.readyState === 'closing' || this.readyState === 'closed') return;
    this.readyState = 'closing';
    setTimeout(() => this.ended(), 0);
  }

  open(): void {
    this.readyState = 'open';
    this.fire('open');
  }

  /** The closing procedure finished (or the far end closed). */
  ended(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.fire('close');
  }

  fire(type: 'open' | 'close'): void {
    const event = new Event(type);
    this.dispatchEvent(event);
    (type === 'open' ? this.onopen : this.onclose)?.(event);
  }
}

interface Description {
  type: string;
  sdp: string;
}

export class FakePeerConnection extends EventTarget {
  /** Peer connections made and not yet closed. */
  static readonly live = new Set<FakePeerConnection>();
  static made = 0;
  static closeFiresChannelClose = false;

  signalingState = 'stable';
  iceConnectionState = 'new';
  connectionState = 'new';
  localDescription: Description | null = null;
  remoteDescription: Description | null = null;
  readonly sctp = { maxMessageSize: 262144 };
  readonly channels: FakeDataChannel[] = [];
  onicecandidate: ((event: unknown) => void) | null = null;
  oniceconnectionstatechange: ((event: unknown) => void) | null = null;
  ondatachannel: ((event: { channel: FakeDataChannel }) => void) | null = null;
  ontrack: ((event: unknown) => void) | null = null;

  constructor(readonly config?: unknown) {
    super();
    FakePeerConnection.made += 1;
    FakePeerConnection.live.add(this);
  }

  /** What it was made with, as a browser's connection gives it back (net/lanes.ts configures lanes like it). */
  getConfiguration(): Record<string, unknown> {
    return (this.config ?? {}) as Record<string, unknown>;
  }

  static reset(): void {
    FakePeerConnection.live.clear();
    FakePeerConnection.made = 0;
    FakePeerConnection.closeFiresChannelClose = false;
  }

  async setRemoteDescription(description: Description): Promise<void> {
    if (this.signalingState === 'closed') throw new Error('InvalidStateError: closed');
    if (!description.sdp?.startsWith('v=0')) throw new Error('OperationError: not an SDP');
    this.remoteDescription = { type: description.type, sdp: description.sdp };
    this.#signal(description.type === 'offer' ? 'have-remote-offer' : 'stable');
  }

  async createAnswer(): Promise<Description> {
    return { type: 'answer', sdp: SENDER_SDP };
  }

  async createOffer(): Promise<Description> {
    return { type: 'offer', sdp: RECEIVER_SDP };
  }

  async setLocalDescription(description: Description): Promise<void> {
    if (this.signalingState === 'closed') throw new Error('InvalidStateError: closed');
    this.localDescription = description;
    this.#signal(description.type === 'offer' ? 'have-local-offer' : 'stable');
  }

  async addIceCandidate(): Promise<void> {}

  createDataChannel(label: string): FakeDataChannel {
    const channel = new FakeDataChannel(label);
    this.channels.push(channel);
    return channel;
  }

  /** The far end's channel arrives and opens, as after a successful ICE and DTLS. */
  connect(label: string): FakeDataChannel {
    const channel = this.createDataChannel(label);
    this.iceConnectionState = 'connected';
    this.connectionState = 'connected';
    this.ondatachannel?.({ channel });
    channel.open();
    return channel;
  }

  close(): void {
    if (this.signalingState === 'closed') return;
    this.signalingState = 'closed';
    this.iceConnectionState = 'closed';
    this.connectionState = 'closed';
    FakePeerConnection.live.delete(this);
    for (const channel of this.channels) {
      if (FakePeerConnection.closeFiresChannelClose) channel.ended();
      else channel.readyState = 'closed';
    }
  }

  #signal(state: string): void {
    this.signalingState = state;
    this.dispatchEvent(new Event('signalingstatechange'));
  }
}

class FakeSessionDescription {
  readonly type: string;
  readonly sdp: string;
  constructor(init: Description) {
    this.type = init?.type;
    this.sdp = init?.sdp;
  }
}

Object.assign(globalThis, {
  WebSocket: FakeWebSocket,
  RTCPeerConnection: FakePeerConnection,
  RTCSessionDescription: FakeSessionDescription,
  location: { protocol: 'http:', hostname: 'ferry.test', port: '8080' },
});
