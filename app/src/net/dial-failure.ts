/**
 * The ways a dial can fail, as codes with their details (dial.ts makes them; the UI
 * turns them into words). Free of PeerJS and the DOM, so any layer may import it.
 */

/** Why there is no network path, as far as this side can tell. */
export type RelayOutcome =
  /** The server offers no TURN relay: only direct paths were possible. */
  | 'none'
  /** The relay answered but refused the credentials (a wrong FERRY_TURN_SECRET). */
  | 'refused'
  /** The relay gave us no candidate: it could not be reached. */
  | 'unreachable'
  /** The relay gave us a candidate and still no pair worked. */
  | 'tried';

export type DialFailure =
  | { code: 'server-unreachable' }
  | { code: 'sender-offline' }
  | { code: 'sender-silent' }
  | { code: 'no-path'; relay: RelayOutcome }
  /** The channel opened but the connection could not be set up (details for bug reports). */
  | { code: 'setup-failed'; detail: string }
  | { code: 'broker'; type: string };
