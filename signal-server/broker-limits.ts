/**
 * How much of the broker one client may take. Each bound says why it is as large
 * as it is: large enough for honest use by a crowd behind one address (a home, an
 * office, a phone carrier's NAT), small enough that one client cannot fill the
 * server. FERRY_MAX_CONNECTIONS_PER_ADDRESS changes the first; docs/operating.md lists all.
 */
import type { InboundLimits } from './inbound-limit.ts';

export interface BrokerLimits extends InboundLimits {
  /** Broker connections open at once from one address (IPv4, or IPv6 /64). */
  connectionsPerAddress: number;
  /** New broker connections per second from one address, after a burst (an owner taking its id back aside). */
  connectsPerSecond: number;
  connectBurst: number;
  /** An id's owner connecting again for it, per second after a burst: counted per id, not per address. */
  ownerReconnectsPerSecond: number;
  ownerReconnectBurst: number;
  /** Messages per second from one connection (a large one counts as several), after a burst. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Bytes queued towards a client that does not read them, at most; past it its connection is closed. */
  maxBufferedBytes: number;
  /** How long a disconnected id stays reserved for its owner: a reload, a network change. */
  idGraceMs: number;
  /** How long messages wait for an id that is not connected before the sender hears EXPIRE. */
  holdMs: number;
  /** Bytes of held messages, for one id and for all. */
  heldBytesPerId: number;
  heldBytesTotal: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  // A household or office shares one address; each open Ferry page holds one socket.
  connectionsPerAddress: 50,
  connectsPerSecond: 5,
  connectBurst: 30,
  // A reload, a network change, a fail-over: a few in a row, rarely more.
  ownerReconnectsPerSecond: 0.2,
  ownerReconnectBurst: 5,
  // An honest dial is an offer and a dozen candidates; a page sends a heartbeat every 5 s.
  // Replies to offers relayed to a page are not counted here (reply-credits.ts).
  messagesPerSecond: 50,
  messageBurst: 200,
  // Several senders' offers dialling one page at once, with their candidates.
  inboundMessagesPerSecond: 100,
  inboundMessageBurst: 400,
  inboundBytesPerSecond: 64 * 1024,
  inboundByteBurst: 128 * 1024,
  // ws queues only what the kernel's socket buffer cannot take, and a client is sent
  // less than this at once (what was held for it, then the inbound burst, with room
  // to spare): only a client that stopped reading gets there.
  maxBufferedBytes: 256 * 1024,
  idGraceMs: 5 * 60_000,
  // `peer`'s own expire_timeout.
  holdMs: 5_000,
  // Offers from a few receivers dialling while their sender reloads.
  heldBytesPerId: 64 * 1024,
  heldBytesTotal: 16 * 1024 * 1024,
};
