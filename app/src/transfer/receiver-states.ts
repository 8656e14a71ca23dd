/**
 * A receiver's states, and which message from the sender it may take in each: one
 * table, checked in one place (checkLegal) before any message is acted on. Anything
 * else is the sender breaking the protocol, and ends the session.
 */
import { ProtocolError } from './errors.ts';
import type { GateNeed, Message } from './messages.ts';

/**
 * 'password' and 'approval': the sender holds the files back until we prove its
 * password, or until its person allows us. 'waiting': the files are listed, nothing is
 * asked for yet. 'ended': the sender said the link is dead (or declined us); 'done'
 * and 'error' are final too.
 */
export type ReceiverState = 'connecting' | 'password' | 'approval' | 'waiting' | 'transferring' | 'done' | 'error' | 'ended';

export const RECEIVER_STATES: readonly ReceiverState[] = ['connecting', 'password', 'approval', 'waiting', 'transferring', 'done', 'error', 'ended'];

/**
 * The kinds of message a receiver's session takes from its sender: every message but
 * the link's own (hello and error, which peer-link.ts takes), a gate told apart by
 * what it asks for.
 */
export type SenderMessageKind = Exclude<Message['type'], 'hello' | 'error' | 'gate'> | `gate:${GateNeed}`;

/** Before the list of files: the sender may still gate us, or send the list. */
const BEFORE_FILES = ['connecting', 'password', 'approval'] as const;

/** Where each message is legal: bytes, and what proves them, come only while 'transferring'. */
export const LEGAL_IN = {
  manifest: BEFORE_FILES,
  // From approval back to the password: a try held while the share was guessed at, let through and found wrong.
  'gate:password': BEFORE_FILES,
  'gate:approval': ['connecting', 'password'],
  root: ['transferring'],
  block: ['transferring'],
  data: ['transferring'],
  files: ['transferring'],
  'file-end': ['transferring'],
  // Lanes are offered once the files are listed; one may open as the transfer ends, its answer then finding nothing to do.
  'lane-answer': ['waiting', 'transferring', 'done'],
  // The link may end at any moment the connection is up, even after the last receipt.
  ended: [...BEFORE_FILES, 'waiting', 'transferring', 'done'],
  // The receiver's own messages: a sender never sends them.
  password: [],
  request: [],
  'lane-offer': [],
  receipt: [],
  done: [],
} as const satisfies Record<SenderMessageKind, readonly ReceiverState[]>;

/** The name `message` has in LEGAL_IN. */
export function kindOf(message: Message): SenderMessageKind | 'hello' | 'error' {
  return message.type === 'gate' ? `gate:${message.need}` : message.type;
}

/** Whether a receiver in `state` may take a message of `kind`. */
export function legal(state: ReceiverState, kind: SenderMessageKind): boolean {
  return (LEGAL_IN[kind] as readonly ReceiverState[]).includes(state);
}

/** Throws the ProtocolError that ends the session unless a receiver in `state` may take `message`. */
export function checkLegal(state: ReceiverState, message: Message): void {
  const kind = kindOf(message);
  if (kind === 'hello' || kind === 'error' || LEGAL_IN[kind].length === 0) throw new ProtocolError(`a sender does not send ${message.type}`);
  if (!legal(state, kind)) throw new ProtocolError(`${message.type === 'gate' ? `a ${message.need} gate` : message.type} while ${state}`);
}
