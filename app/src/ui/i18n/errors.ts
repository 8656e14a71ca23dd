/**
 * Messages that reach the UI as English Error text — from the protocol core, the
 * broker module, storage and link parsing — put into the UI's language where we
 * recognise them. Anything else (protocol violations, browser errors) stays as it
 * came: it is for bug reports more than for people.
 */
import type { DialFailure } from '../../net/dial-failure.ts';
import type { Messages, Phrase } from './en.ts';

type Known = [pattern: RegExp, say: (t: Messages, match: RegExpExecArray) => string];

const KNOWN: Known[] = [
  [/^Cannot reach the Ferry server\./, (t) => t.errors.serverUnreachable],
  [/^The Ferry server answered (\d+)\.$/, (t, m) => t.errors.serverAnswered(m[1]!)],
  [/^This device has no room left for the transfer\./, (t) => t.errors.storageFull],
  [/^The sender closed the connection\.$/, (t) => t.errors.senderClosed],
  [/^The sender went away before the transfer finished/, (t) => t.errors.senderWentAway],
  [/^The sender’s page answered but sent no list of files\.$/, (t) => t.errors.senderNoFiles],
  [/^The sender’s files changed since you started\.$/, (t) => t.errors.filesChanged],
  // What follows the colon is the peer's own words (cleaned by peerWords): quoted as
  // they came, never matched against our messages, which they could imitate.
  [/^The sender stopped the transfer: ([^]*)$/, (t, m) => t.errors.senderStopped(m[1]!)],
  [/^The receiver stopped the transfer: ([^]*)$/, (t, m) => t.errors.receiverStopped(m[1]!)],
  [/^The connection was set up for messages of only (\d+) bytes, which no browser does/, (t, m) => t.errors.tamperedSize(m[1]!)],
  [/^Someone other than the sender answered this link/, (t) => t.errors.impostor],
];

export function localiseMessage(message: string, t: Messages): string {
  for (const [pattern, say] of KNOWN) {
    const match = pattern.exec(message);
    if (match) return say(t, match);
  }
  return message;
}

/** PeerJS error types, as BrokerError and `peer.on('error')` carry them. */
export function brokerText(type: string): Phrase {
  return (t) => {
    switch (type) {
      case 'peer-unavailable':
        return t.errors.senderNotOnline;
      case 'network':
      case 'server-error':
      case 'socket-error':
      case 'socket-closed':
        return t.errors.lostServer;
      case 'browser-incompatible':
        return t.errors.noWebRtc;
      case 'unavailable-id':
        return t.errors.idTaken;
      default:
        return t.errors.connectionFailed(type);
    }
  };
}

/** What a person can do about each way of failing to reach the sender. */
export function dialText(failure: DialFailure): Phrase {
  return (t) => {
    switch (failure.code) {
      case 'server-unreachable':
        return t.errors.serverUnreachable;
      case 'sender-offline':
        return t.errors.senderNotOnline;
      case 'sender-silent':
        return t.errors.senderSilent;
      case 'no-path':
        return t.errors.noPath[failure.relay];
      case 'setup-failed':
        return t.receive.cannotConnect(failure.detail);
      case 'broker':
        return brokerText(failure.type)(t);
    }
  };
}

/** The word or two above the explanation, for a dial that failed: whose side the trouble is on. */
export function dialHeadline(error: unknown): Phrase {
  const failure = dialFailure(error);
  switch (failure?.code) {
    case 'sender-offline':
      return (t) => t.receive.senderOffline;
    case 'sender-silent':
      return (t) => t.receive.senderSilent;
    case 'no-path':
    case 'setup-failed':
      return (t) => t.receive.noConnection;
    default:
      // The server, the broker or this device's own network.
      return (t) => t.receive.serverTrouble;
  }
}

function dialFailure(error: unknown): DialFailure | null {
  // By name, not instanceof: this module stays importable where PeerJS is not (unit tests).
  return error instanceof Error && error.name === 'DialError' && 'failure' in error ? (error.failure as DialFailure) : null;
}

/** Any thrown value, as a phrase that follows the UI's language. */
export function errorText(error: unknown): Phrase {
  const failure = dialFailure(error);
  if (failure) return dialText(failure);
  if (error instanceof Error && error.name === 'BrokerError' && 'type' in error) return brokerText(String(error.type));
  const message = error instanceof Error ? error.message : String(error);
  return (t) => localiseMessage(message, t);
}
