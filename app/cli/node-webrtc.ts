/**
 * Stock PeerJS, made to run in Node: node-datachannel (libdatachannel) stands in for
 * the browser's WebRTC, `ws` for its WebSocket. PeerJS reads them as globals, so they
 * are installed as globals — only the ones it uses, which are:
 *
 * - `RTCPeerConnection`: every connection, and a probe PeerJS runs once, when it
 *   loads (`util.supports`): without one then, every Peer fails as
 *   'browser-incompatible';
 * - `RTCSessionDescription`: PeerJS wraps each description the broker relays in one;
 * - `WebSocket`: the broker connection (ws, made to fail as a browser's does).
 *
 * It needs no `window`, `location` or `navigator`: those serve only a Peer whose
 * host is '/' or whose `secure` is unset, and broker.ts openPeer sets both. Candidates
 * reach addIceCandidate as plain objects (no `RTCIceCandidate`); `fetch`, `EventTarget`,
 * `MessageEvent` and `crypto` are Node's own.
 */
import { register } from 'node:module';
import nodeDataChannel from 'node-datachannel';
import { RTCPeerConnection, RTCSessionDescription } from 'node-datachannel/polyfill';
import WebSocket from 'ws';

/**
 * Node loads PeerJS's CommonJS build ("main"), whose default export is then the whole
 * module object, so `import Peer from 'peerjs'` (broker.ts) would not be the class.
 * Its ES module build, which bundlers pick ("module"), exports the class as default.
 */
const PEERJS_AS_ES_MODULE = `export function resolve(specifier, context, next) {
  return next(specifier === 'peerjs' ? 'peerjs/dist/bundler.mjs' : specifier, context);
}`;

/**
 * What PeerJS's load-time probe gets. The probe builds a connection with PeerJS's own
 * defaults, Google's STUN server and PeerJS's public TURN relays, and opens a channel
 * on it; libdatachannel, unlike a browser, starts gathering right then, looking those
 * servers up and contacting them. Ferry never hands anyone's addresses to a third
 * party, so the probe's connection gets no servers at all.
 */
class ProbeConnection extends RTCPeerConnection {
  constructor() {
    // The polyfill's default configuration: no ICE servers.
    super();
  }
}

/**
 * ws's WebSocket, failing the way a browser's does. A refused connection or handshake
 * (no server, a 400 or 429 from the broker) is an 'error' event that ws, an
 * EventEmitter, throws at the process when nobody listens, and PeerJS never listens:
 * it learns of the failure from the 'close' that follows, as in a browser, where an
 * error event carries no detail anyway. So someone listens.
 */
class BrowserLikeWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

/**
 * The polyfill's connection, taking remote candidates as a browser does. libdatachannel
 * refuses a remote candidate until it has both the remote description and its own ICE
 * transport ("remote candidate without ICE transport"), and with a STUN server the
 * transport comes a moment after the description that announced it: the other side's
 * candidates, which PeerJS adds as they come, could arrive in between, and the
 * connection then never found a path. They wait here until both are in place, then go
 * in, in order.
 */
class OrderedPeerConnection extends RTCPeerConnection {
  #described = false;
  #early: RTCIceCandidateInit[] = [];

  constructor(config?: RTCConfiguration) {
    super(config);
    // Gathering begins once the ICE transport exists.
    this.addEventListener('icegatheringstatechange', () => void this.#addEarly());
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await super.setRemoteDescription(description);
    this.#described = true;
    await this.#addEarly();
  }

  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    if (candidate?.candidate && (!this.#ready() || this.#early.length > 0)) {
      this.#early.push(candidate);
      return;
    }
    return super.addIceCandidate(candidate ?? undefined);
  }

  #ready(): boolean {
    return this.#described && this.iceGatheringState !== 'new';
  }

  async #addEarly(): Promise<void> {
    if (!this.#ready()) return;
    for (let candidate = this.#early.shift(); candidate; candidate = this.#early.shift()) {
      await super.addIceCandidate(candidate).catch(() => {});
    }
  }
}

let installing: Promise<void> | undefined;

/**
 * Installs the globals and loads PeerJS. Await it before importing anything that
 * imports PeerJS (app/src/net), and import those dynamically: PeerJS decides whether
 * there is WebRTC when it loads. Calling it again returns the first call's promise.
 */
export function installWebRtc(): Promise<void> {
  installing ??= install();
  return installing;
}

async function install(): Promise<void> {
  register(`data:text/javascript,${encodeURIComponent(PEERJS_AS_ES_MODULE)}`);
  // ws on every Node version: Node 20 has no WebSocket, and one client means one behaviour.
  Object.assign(globalThis, { WebSocket: BrowserLikeWebSocket, RTCSessionDescription, RTCPeerConnection: ProbeConnection });
  const { util } = await import('peerjs');
  Object.assign(globalThis, { RTCPeerConnection: OrderedPeerConnection });
  if (!util.supports.data) {
    throw new Error('PeerJS finds no WebRTC data channels: it was loaded before installWebRtc(), or node-datachannel failed');
  }
}

/**
 * Closes every connection libdatachannel still holds. After a clean end there are
 * none, and the process exits once every Peer is destroyed; but one left open (Ctrl-C
 * in the middle of a transfer) keeps the process running until this is called.
 */
export function closeWebRtc(): void {
  nodeDataChannel.cleanup();
}
