/**
 * Backpressure for one channel, driven by the browser's own signal: when the queued
 * bytes would pass the high-water mark we wait for `bufferedamountlow`, which fires
 * when the queue drains to the low-water mark. No polling, no timers.
 *
 * Chromium closes the channel ("send queue is full") when bufferedAmount would pass
 * 16 MiB, so the high-water mark stays well under that.
 */
import { AbortedError } from './errors.ts';
import type { Channel } from './channel.ts';
import { sample, waited } from './trace.ts';

export interface FlowLimits {
  highWater: number;
  lowWater: number;
}

export const DEFAULT_FLOW: FlowLimits = { highWater: 4 * 1024 * 1024, lowWater: 1024 * 1024 };

export class FlowControl {
  readonly #channel: Channel;
  readonly #limits: FlowLimits;
  readonly #signal: AbortSignal;

  constructor(channel: Channel, limits: FlowLimits, maxMessageSize: number, signal: AbortSignal) {
    // After a drain the queue holds at most lowWater, so one full message must fit above it.
    if (limits.lowWater + maxMessageSize > limits.highWater) {
      throw new RangeError('highWater must leave room for one message above lowWater');
    }
    this.#channel = channel;
    this.#limits = limits;
    this.#signal = signal;
    channel.bufferedAmountLowThreshold = limits.lowWater;
  }

  /** Sends one frame, first waiting until it fits under the high-water mark. */
  async send(frame: Uint8Array<ArrayBuffer>): Promise<void> {
    // A loop, not an if: a bufferedamountlow event queued before we listened can wake
    // us while the queue is full again.
    while (this.#channel.bufferedAmount + frame.byteLength > this.#limits.highWater) await waited('drain', this.#drained());
    this.#signal.throwIfAborted();
    if (this.#channel.readyState !== 'open') throw new AbortedError('the connection closed');
    this.#channel.send(frame);
    sample('buffered', this.#channel.bufferedAmount);
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const channel = this.#channel;
      const done = (settle: () => void) => () => {
        channel.removeEventListener('bufferedamountlow', onLow);
        channel.removeEventListener('close', onClose);
        this.#signal.removeEventListener('abort', onClose);
        settle();
      };
      const onLow = done(resolve);
      const onClose = done(() => reject(this.#signal.reason ?? new AbortedError('the connection closed')));
      if (this.#signal.aborted || channel.readyState !== 'open') return onClose();
      channel.addEventListener('bufferedamountlow', onLow);
      channel.addEventListener('close', onClose);
      this.#signal.addEventListener('abort', onClose);
    });
  }
}
