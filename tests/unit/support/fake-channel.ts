/**
 * An in-memory model of a pair of RTCDataChannels, faithful in the ways the protocol
 * depends on: bufferedAmount grows on send and shrinks as the "network" carries bytes,
 * `bufferedamountlow` fires when it falls to the threshold, a message over
 * maxMessageSize or a queue over 16 MiB is an error (as in Chromium), and delivery
 * is ordered and asynchronous.
 */
import type { Channel } from '../../../app/src/transfer/channel.ts';

export const CHROMIUM_QUEUE_LIMIT = 16 * 1024 * 1024;

export interface PairOptions {
  maxMessageSize?: number;
  /** Bytes the link carries per macrotask; small values force backpressure. */
  bytesPerTick?: number;
  /** Lets a test alter or inspect frames in flight. */
  tamper?: (frame: Uint8Array) => Uint8Array;
}

export class FakeChannel extends EventTarget implements Channel {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'open';
  peer!: FakeChannel;
  /** Highest bufferedAmount ever seen right after a send. */
  peakBuffered = 0;
  largestMessage = 0;
  messagesSent = 0;
  readonly #queue: Uint8Array[] = [];
  #pumping = false;
  /** Bytes this end has handed to its peer. */
  #delivered = 0;
  /** Set by holdAfter(): the link stops carrying once this many bytes have been delivered. */
  #holdAt = Infinity;
  #onHeld: (() => void) | null = null;

  constructor(
    readonly maxMessageSize: number,
    private readonly bytesPerTick: number,
    private readonly tamper: (frame: Uint8Array) => Uint8Array,
  ) {
    super();
  }

  send(frame: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    if (frame.byteLength > this.maxMessageSize) {
      this.#teardown();
      throw new TypeError(`message of ${frame.byteLength} bytes exceeds maxMessageSize ${this.maxMessageSize}`);
    }
    if (this.bufferedAmount + frame.byteLength > CHROMIUM_QUEUE_LIMIT) {
      this.#teardown();
      throw new Error('OperationError: send queue is full');
    }
    this.#queue.push(frame.slice());
    this.bufferedAmount += frame.byteLength;
    this.peakBuffered = Math.max(this.peakBuffered, this.bufferedAmount);
    this.largestMessage = Math.max(this.largestMessage, frame.byteLength);
    this.messagesSent += 1;
    this.#schedule();
  }

  /** Like Chromium: queued messages are still delivered, then both ends close. */
  close(): void {
    if (this.readyState !== 'open') return;
    this.readyState = 'closing';
    if (this.#queue.length === 0) this.#teardown();
  }

  /**
   * Resolves once `bytes` (counted from the start) have reached the peer, and from then
   * on carries nothing until release(): frames sent meanwhile wait in the queue, as on a
   * stalled network path. This is how a test stands a transfer at a point, however fast
   * the machine.
   */
  holdAfter(bytes: number): Promise<void> {
    this.#holdAt = bytes;
    return new Promise((resolve) => {
      this.#onHeld = resolve;
      if (this.#held) resolve();
    });
  }

  /** Carries on after holdAfter(). */
  release(): void {
    this.#holdAt = Infinity;
    this.#onHeld = null;
    if (this.#queue.length > 0) this.#schedule();
  }

  get #held(): boolean {
    return this.#delivered >= this.#holdAt;
  }

  /** The network path is gone: both ends close at once, queued messages are lost. */
  drop(): void {
    this.#teardown();
  }

  #teardown(): void {
    for (const side of [this, this.peer]) {
      if (side.readyState === 'closed') continue;
      side.readyState = 'closed';
      setTimeout(() => side.dispatchEvent(new Event('close')), 0);
    }
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    setTimeout(() => this.#carry(), 0);
  }

  #carry(): void {
    this.#pumping = false;
    if (this.readyState === 'closed' || this.#held) return;
    let budget = this.bytesPerTick;
    while (budget > 0 && this.#queue.length > 0 && !this.#held) {
      const frame = this.#queue.shift()!;
      budget -= frame.byteLength;
      const above = this.bufferedAmount > this.bufferedAmountLowThreshold;
      this.bufferedAmount -= frame.byteLength;
      const delivered = this.tamper(frame);
      const event = Object.assign(new Event('message'), { data: delivered.buffer.slice(delivered.byteOffset, delivered.byteOffset + delivered.byteLength) });
      this.peer.dispatchEvent(event);
      this.#delivered += frame.byteLength;
      if (above && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.dispatchEvent(new Event('bufferedamountlow'));
    }
    if (this.#held) return this.#onHeld?.();
    if (this.#queue.length > 0) this.#schedule();
    else if (this.readyState === 'closing') this.#teardown();
  }
}

export function channelPair(options: PairOptions = {}): [FakeChannel, FakeChannel] {
  const max = options.maxMessageSize ?? 262144;
  const perTick = options.bytesPerTick ?? 2 * 1024 * 1024;
  const tamper = options.tamper ?? ((frame) => frame);
  const a = new FakeChannel(max, perTick, tamper);
  const b = new FakeChannel(max, perTick, tamper);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
