/**
 * What a receiver's row says about it (session/receiver-doing.ts), in the person's
 * language: one headline per fact, and a detail only where it adds one (why it
 * failed). WORDS is checked by the compiler, so a new kind cannot go unworded.
 */
import type { ReceiverDoing, ReceiverDoingKind } from '../session/receiver-doing.ts';
import type { Messages } from './i18n/en.ts';
import { failureText } from './i18n/errors.ts';

type Say<K extends ReceiverDoingKind> = (t: Messages, doing: Extract<ReceiverDoing, { kind: K }>) => string;

const WORDS: { [K in ReceiverDoingKind]: Say<K> } = {
  connecting: (t) => t.send.doing.connecting,
  password: (t) => t.send.doing.password,
  'wrong-password': (t, doing) => t.send.doing.wrongPassword(doing.wrong),
  // Rounded up: "locked for 1 minute" until it is over.
  'locked-out': (t, doing) => t.send.doing.lockedOut(doing.wrong, Math.ceil(doing.lockedForMs / 60_000)),
  asking: (t) => t.send.doing.asking,
  held: (t) => t.send.doing.held,
  looking: (t) => t.send.doing.looking,
  downloading: (t) => t.send.doing.downloading,
  done: (t) => t.send.doing.done,
  declined: (t) => t.send.doing.declined,
  'turned-away': (t) => t.send.doing.turnedAway,
  'timed-out': (t) => t.send.doing.timedOut,
  'told-ended': (t, doing) => t.send.doing.toldEnded[doing.reason],
  left: (t) => t.send.doing.left,
  failed: (t) => t.send.doing.failed,
};

export interface ReceiverWords {
  headline: string;
  /** Said below the headline, as an error: why it failed. */
  detail: string | null;
}

export function receiverWords(doing: ReceiverDoing, t: Messages): ReceiverWords {
  const headline = (WORDS[doing.kind] as Say<ReceiverDoingKind>)(t, doing as never);
  const detail = doing.kind === 'failed' && doing.failure ? failureText(doing.failure)(t) : null;
  return { headline, detail };
}
