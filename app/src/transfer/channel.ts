/**
 * The slice of RTCDataChannel the protocol needs. The browser side wraps the real
 * channel (net/broker.ts: PeerChannel); unit tests use an in-memory model of it.
 */
import type { Fingerprints } from './auth.ts';

export interface Channel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readonly readyState: string;
  send(frame: Uint8Array<ArrayBuffer>): void;
  close(): void;
  /** 'message' (event.data is an ArrayBuffer), 'bufferedamountlow', 'close'. */
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/**
 * An open channel as the core needs it: the channel, the largest message it takes,
 * and both ends' DTLS fingerprints, which the proofs bind to. Each side adds what it
 * needs to the same thing: the sender's host a receiver's path (session/host-ports.ts
 * ReceiverChannel), the receiving flow a way to close it (session/receive-flow.ts
 * SenderChannel), and net/broker.ts the PeerJS connection it came from.
 */
export interface OpenChannel {
  channel: Channel;
  maxMessageSize: number;
  fingerprints: Fingerprints;
  /** Further connections to the same peer, opened inside the session (lanes.ts); none: this one only. */
  lanes?: LaneMaker;
}

/** An open lane (lanes.ts): its channel, the largest message it takes, and how to close its connection. */
export interface Lane {
  channel: Channel;
  maxMessageSize: number;
  close(): void;
}

/** The receiver's side of a lane being opened: its offer, to send, and what to do with the sender's answer. */
export interface LaneOffer {
  sdp: string;
  /** Resolves once the lane's channel is open. */
  accept(answer: string): Promise<Lane>;
  close(): void;
}

/** The sender's side: its answer to a receiver's offer, and the lane, once open. */
export interface LaneAnswer {
  sdp: string;
  lane: Promise<Lane>;
  close(): void;
}

export interface LaneMaker {
  offer(): Promise<LaneOffer>;
  answer(offer: string): Promise<LaneAnswer>;
}
