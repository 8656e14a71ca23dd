/**
 * Why a Ferry broker turns a client away, beyond what PeerJS itself knows. The broker
 * sends one of these as the `msg` of an ERROR message (PeerJS reports it as a
 * 'server-error' carrying the text), and net/broker.ts reads it back into a
 * Failure: codes, never sentences, so each front end words them itself.
 */
export const BROKER_REFUSALS = {
  /** The process holds as many people as it was set to (FERRY_MAX_PEERS): try again soon. */
  busy: 'ferry:busy',
  /** The load balancer sent this id to a process of another shard: the server's setup is wrong. */
  misrouted: 'ferry:misrouted',
} as const;

export type BrokerRefusal = keyof typeof BROKER_REFUSALS;

/** The refusal an ERROR message's text names, if it names one. */
export function brokerRefusal(message: unknown): BrokerRefusal | null {
  for (const [refusal, code] of Object.entries(BROKER_REFUSALS)) if (message === code) return refusal as BrokerRefusal;
  return null;
}
