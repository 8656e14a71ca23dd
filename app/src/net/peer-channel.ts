/**
 * An RTCDataChannel as the transfer core sees it (transfer/channel.ts), for a PeerJS
 * connection (broker.ts) and a lane (lanes.ts) alike.
 */
import type { Channel } from '../transfer/channel.ts';

/**
 * The largest message `pc`'s channels take. Safari and Chromium negotiate 256 KiB.
 * Infinity means the peer takes any size (max-message-size:0) and so does this
 * browser; 64 KiB is a size everyone accepts. A small value goes through as it is:
 * the link refuses it (MIN_MESSAGE_SIZE).
 */
export function negotiatedMessageSize(pc: RTCPeerConnection): number {
  const negotiated = pc.sctp?.maxMessageSize;
  return negotiated && Number.isFinite(negotiated) && negotiated > 0 ? negotiated : 65536;
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
export class PeerChannel extends EventTarget implements Channel {
  readonly #pc: RTCPeerConnection;
  readonly #channel: RTCDataChannel;
  readonly #release: () => void;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Messages that arrive before anyone listens; see describeConnection. */
  #held: unknown[] | null = [];

  /** `release` is called once the transport is closed. */
  constructor(pc: RTCPeerConnection, channel: RTCDataChannel, release: () => void) {
    super();
    this.#pc = pc;
    this.#channel = channel;
    this.#release = release;
    channel.addEventListener('message', (event) => {
      if (this.#held) this.#held.push(event.data);
      else this.dispatchEvent(new MessageEvent('message', { data: event.data }));
    });
    channel.addEventListener('bufferedamountlow', () => this.dispatchEvent(new Event('bufferedamountlow')));
    channel.addEventListener('close', () => this.#end());
    pc.addEventListener('iceconnectionstatechange', this.#checkIce);
  }

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    super.addEventListener(...args);
    const held = this.#held;
    if (args[0] !== 'message' || !held) return;
    // Hand over what arrived early, in order, once the listener's owner is set up.
    queueMicrotask(() => {
      for (const data of held) this.dispatchEvent(new MessageEvent('message', { data }));
      this.#held = null;
    });
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
    if (this.#channel.bufferedAmount === 0 || this.#pc.connectionState !== 'connected') this.#closeTransport();
    else this.#channel.addEventListener('close', () => this.#closeTransport(), { once: true });
  }

  #closeTransport(): void {
    this.#pc.close();
    // PeerJS keeps a connection in its lists until its own close() runs, which it
    // does by itself only if the browser fires 'close' on the channel after
    // pc.close(): Chromium and Firefox do, the specification says not to, and Safari
    // did not until late 2025.
    this.#release();
  }
}
