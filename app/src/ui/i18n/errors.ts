/**
 * Failures in the UI's language. Every failure the core, the network and storage
 * report carries a code (transfer/failure.ts); FAILURES says each one, and the
 * compiler checks that none is missing. Errors without a code (a bug, a browser
 * failing unforeseen) are shown as they came: they are for bug reports.
 */
import type { DialFailure } from '../../net/dial-failure.ts';
import { carriedFailure, type Failure, type FailureCode } from '../../transfer/failure.ts';
import type { Messages, Phrase } from './en.ts';

type Say<C extends FailureCode> = (t: Messages, failure: Extract<Failure, { code: C }>) => string;

const FAILURES: { [C in FailureCode]: Say<C> } = {
  'server-unreachable': (t) => t.errors.serverUnreachable,
  'server-answered': (t, f) => t.errors.serverAnswered(String(f.status)),
  'storage-full': (t) => t.errors.storageFull,
  'sender-closed': (t) => t.errors.senderClosed,
  'sender-went-away': (t) => t.errors.senderWentAway,
  'no-file-list': (t) => t.errors.senderNoFiles,
  'files-changed': (t) => t.errors.filesChanged,
  // The peer's own words (cleaned by peerWords), quoted as they came: never matched
  // against our messages, which they could imitate.
  'peer-stopped': (t, f) => (f.by === 'sender' ? t.errors.senderStopped(f.words) : t.errors.receiverStopped(f.words)),
  'tampered-size': (t, f) => t.errors.tamperedSize(String(f.bytes)),
  impostor: (t) => t.errors.impostor,
  'not-proven': (t) => t.errors.notProven,
  'other-version': (t) => t.errors.otherVersion,
  integrity: (t, f) => t.errors.damaged(f.file),
  'text-too-long': (t, f) => t.text.tooLong(f.maxBytes / 1024),
  protocol: (t, f) => t.errors.protocol(f.detail),
  unexpected: (_, f) => f.detail,
};

/** A failure in the UI's language. */
export function failureText(failure: Failure): Phrase {
  return (t) => (FAILURES[failure.code] as Say<FailureCode>)(t, failure as never);
}

/** PeerJS error types and Ferry brokers' refusals, as BrokerError and `peer.on('error')` carry them. */
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
      case 'busy':
        return t.errors.serverBusy;
      case 'misrouted':
        return t.errors.misrouted;
      default:
        return t.errors.connectionFailed(type);
    }
  };
}

/** What a person can do about each way of failing to reach the sender. */
export function dialText(failure: DialFailure): Phrase {
  return (t) => {
    switch (failure.code) {
      case 'no-webrtc':
        return t.errors.noWebRtcAdvice;
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

/**
 * A dial that failed, in two parts: whose side the trouble is on, in a word or two, and
 * under it what to do — never the headline again in other words. An error that is not
 * a dial's is said whole, under the server's headline.
 */
export function dialWords(error: unknown): { headline: Phrase; advice: Phrase } {
  const said = (headline: Phrase, advice: Phrase = errorText(error)) => ({ headline, advice });
  switch (dialFailure(error)?.code) {
    case 'no-webrtc':
      return said((t) => t.receive.noWebRtc);
    case 'server-unreachable':
      return said((t) => t.receive.serverTrouble, (t) => t.receive.checkNetwork);
    case 'sender-offline':
      return said((t) => t.receive.senderOffline, (t) => t.receive.senderOfflineAdvice);
    case 'sender-silent':
      return said((t) => t.receive.senderSilent, (t) => t.receive.senderSilentAdvice);
    case 'no-path':
    case 'setup-failed':
      return said((t) => t.receive.noConnection);
    default:
      // The server, the broker or this device's own network.
      return said((t) => t.receive.serverTrouble);
  }
}

/** The failure a dial's error carries; null for any other error. */
export function dialFailure(error: unknown): DialFailure | null {
  // By name, not instanceof: this module stays importable where PeerJS is not (unit tests).
  return error instanceof Error && error.name === 'DialError' && 'failure' in error ? (error.failure as DialFailure) : null;
}

/** Any thrown value, as a phrase that follows the UI's language. */
export function errorText(error: unknown): Phrase {
  const dial = dialFailure(error);
  if (dial) return dialText(dial);
  if (error instanceof Error && error.name === 'BrokerError' && 'type' in error) return brokerText(String(error.type));
  const failure = carriedFailure(error);
  if (failure) return failureText(failure);
  const message = error instanceof Error ? error.message : String(error);
  return () => message;
}
