/**
 * How much of the broker one client may take. Each bound says why it is as large
 * as it is: large enough for honest use by a crowd behind one address (a home, an
 * office, a phone carrier's NAT), small enough that one client cannot fill the
 * server. FERRY_MAX_CONNECTIONS_PER_ADDRESS changes the first; the README lists all.
 */
export interface BrokerLimits {
  /** Broker connections open at once from one address (IPv4, or IPv6 /64). */
  connectionsPerAddress: number;
  /** New broker connections per second from one address, after a burst. */
  connectsPerSecond: number;
  connectBurst: number;
  /** Messages per second from one address (a large one counts as several), after a burst. */
  messagesPerSecond: number;
  messageBurst: number;
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
  // An honest dial is an offer and a dozen candidates; a page sends a heartbeat every 5 s.
  messagesPerSecond: 50,
  messageBurst: 200,
  idGraceMs: 5 * 60_000,
  // `peer`'s own expire_timeout.
  holdMs: 5_000,
  heldBytesPerId: 256 * 1024,
  heldBytesTotal: 16 * 1024 * 1024,
};
