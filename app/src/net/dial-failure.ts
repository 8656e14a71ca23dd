/**
 * The ways a dial can fail, as codes with their details (dial.ts makes them; the UI
 * turns them into words). Free of PeerJS and the DOM, so any layer may import it.
 */
import { failureMessage } from '../transfer/failure.ts';

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
  /** This browser (or runtime) has no WebRTC: no attempt can succeed, here or later. */
  | { code: 'no-webrtc' }
  | { code: 'server-unreachable' }
  | { code: 'sender-offline' }
  | { code: 'sender-silent' }
  | { code: 'no-path'; relay: RelayOutcome }
  /** The channel opened but the connection could not be set up (details for bug reports). */
  | { code: 'setup-failed'; detail: string }
  | { code: 'broker'; type: string };

/** The failure in plain English, for logs and the terminal client (the page words it through i18n). */
export function dialFailureMessage(failure: DialFailure): string {
  switch (failure.code) {
    case 'no-webrtc':
      return 'This runtime cannot make direct connections: it has no WebRTC.';
    case 'server-unreachable':
      return failureMessage(failure);
    case 'sender-offline':
      return 'The sender is not online: their Ferry page or terminal was closed.';
    case 'sender-silent':
      return 'The sender did not answer: their device may be asleep, or their page in the background.';
    case 'no-path':
      return failure.relay === 'none'
        ? 'No network path to the sender, and the Ferry server offers no relay. Try the same network as the sender.'
        : failure.relay === 'refused'
          ? 'No network path to the sender: the relay refused this server’s credentials.'
          : 'No network path to the sender, even through the relay.';
    case 'setup-failed':
      return `The connection to the sender could not be set up: ${failure.detail}`;
    case 'broker':
      return `The Ferry server refused the connection (${failure.type}).`;
  }
}

/**
 * Whether the sender may come back by itself: its page was closed, or its device is
 * asleep. The receiving page then keeps trying, and connects the moment it is back.
 */
export function senderMayReturn(failure: DialFailure): boolean {
  return failure.code === 'sender-offline' || failure.code === 'sender-silent';
}

/** Whether dialling again may go differently: not when the browser itself cannot connect. */
export function retryCanHelp(failure: DialFailure): boolean {
  return failure.code !== 'no-webrtc';
}
