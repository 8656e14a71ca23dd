/**
 * Lanes: further connections between the same two peers, beside the one a session was
 * set up on, each carrying blocks of its own. The channels of one connection share one
 * SCTP association and so one congestion window, which a long round trip keeps small
 * and a lost packet halves; separate connections each keep their own. Measured between
 * two Chromiums (`npm run bench:rtt`, docs/benchmarks.md): at 40 ms RTT Ferry over
 * eight connections carried 1.9× what one raw channel does, with 1% loss 6×; over
 * four, 1.6× and 2.9×. On a path with no delay eight cost no throughput.
 *
 * A lane is opened only over a proven link: the receiver's offer and the sender's
 * answer, each with its DTLS fingerprint, travel inside the session both sides have
 * authenticated, so the lane's DTLS handshake can only complete with the same two
 * peers. A lane needs no hello of its own, and the broker never sees it.
 *
 * The port is in channel.ts (LaneMaker), beside the open channel that carries one;
 * net/lanes.ts makes lanes out of RTCPeerConnections, and unit tests out of in-memory
 * channels.
 */
/** Lanes a session uses at most, the one it was set up on included. */
export const MAX_LANES = 8;
/**
 * Lanes a message may name or count: more than this Ferry uses, so that a later one
 * may take more and still be understood. Each side holds the other to its own MAX_LANES.
 */
export const WIRE_LANES = 16;
/** A receiver opens lanes only when at least this much is left to fetch: a small transfer is over before they would help. */
export const LANES_FROM_BYTES = 8 * 1024 * 1024;
/** A lane not open this long after it was offered is given up: the transfer goes on without it. */
export const LANE_OPEN_TIMEOUT_MS = 15_000;
/** An offer or answer: a session description of one data channel, with its candidates. */
export const MAX_LANE_SDP_LENGTH = 16 * 1024;
