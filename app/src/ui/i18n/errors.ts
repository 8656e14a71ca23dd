/**
 * Failures in the UI's language. Every failure the core, the network and storage
 * report carries a code (transfer/failure.ts, which also words each one in English
 * for logs and the terminal); FAILURES says each one on the page, and the compiler
 * checks that none is missing. Errors without a code (a bug, a browser failing
 * unforeseen) are shown as they came: they are for bug reports.
 */
import { carriedFailure, type Failure, type FailureCode } from '../../transfer/failure.ts';
import type { Messages, Phrase } from './en.ts';

type Say<C extends FailureCode> = (t: Messages, failure: Extract<Failure, { code: C }>) => string;

const FAILURES: { [C in FailureCode]: Say<C> } = {
  'server-unreachable': (t) => t.errors.serverUnreachable,
  'server-answered': (t, f) => t.errors.serverAnswered(String(f.status)),
  'server-busy': (t) => t.errors.serverBusy,
  'server-misrouted': (t) => t.errors.misrouted,
  'server-lost': (t) => t.errors.lostServer,
  'id-taken': (t) => t.errors.idTaken,
  'broker-failed': (t, f) => t.errors.connectionFailed(f.type),
  // What to do about it: the headline (dialWords) already says what is wrong.
  'no-webrtc': (t) => t.errors.noWebRtcAdvice,
  'sender-offline': (t) => t.errors.senderNotOnline,
  'sender-silent': (t) => t.errors.senderSilent,
  'no-path': (t, f) => t.errors.noPath[f.relay],
  'setup-failed': (t, f) => t.receive.cannotConnect(f.detail),
  'storage-full': (t) => t.errors.storageFull,
  // Only the terminal receives into a folder of its own choosing.
  'unsafe-folder': (_, f) => f.detail,
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

/**
 * A dial that failed, in two parts: whose side the trouble is on, in a word or two, and
 * under it what to do — never the headline again in other words. Any other failure
 * is said whole, under the server's headline.
 */
export function dialWords(failure: Failure): { headline: Phrase; advice: Phrase } {
  const said = (headline: Phrase, advice: Phrase = failureText(failure)) => ({ headline, advice });
  switch (failure.code) {
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

/** Any thrown value, as a phrase that follows the UI's language. */
export function errorText(error: unknown): Phrase {
  const failure = carriedFailure(error);
  if (failure) return failureText(failure);
  const message = error instanceof Error ? error.message : String(error);
  return () => message;
}
