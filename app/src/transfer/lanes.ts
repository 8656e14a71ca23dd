/**
 * Lanes: further connections between the same two peers, beside the one a session was
 * set up on, each carrying blocks of its own. The channels of one connection share one
 * SCTP association and so one congestion window, which a long round trip keeps small
 * and a lost packet halves; separate connections each keep their own. Measured between
 * two Chromiums (`npm run bench:rtt`): at 40 ms RTT four connections carry about twice
 * what one does, with 1% loss more than three times (docs/benchmarks.md).
 *
 * A lane is opened only over a proven link: the receiver's offer and the sender's
 * answer, each with its DTLS fingerprint, travel inside the session both sides have
 * authenticated, so the lane's DTLS handshake can only complete with the same two
 * peers. A lane needs no hello of its own, and the broker never sees it.
 *
 * This file is the port; net/lanes.ts makes lanes out of RTCPeerConnections, and unit
 * tests out of in-memory channels.
 */
import type { Channel } from './channel.ts';

/** Lanes a session uses at most, the one it was set up on included. */
export const MAX_LANES = 4;
/** A receiver opens lanes only when at least this much is left to fetch: a small transfer is over before they would help. */
export const LANES_FROM_BYTES = 8 * 1024 * 1024;
/** A lane not open this long after it was offered is given up: the transfer goes on without it. */
export const LANE_OPEN_TIMEOUT_MS = 15_000;
/** An offer or answer: a session description of one data channel, with its candidates. */
export const MAX_LANE_SDP_LENGTH = 16 * 1024;

/** An open lane: its channel, the largest message it takes, and how to close its connection. */
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
