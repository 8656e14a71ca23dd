/**
 * What a sender remembers of a share once something came of it, for its history:
 * which files (names and sizes, never their contents) and the text shared beside them
 * (it is short, and typed to be shown), who got every one of them,
 * and how the link ended. One record per share, brought up to date as receivers
 * finish and the link ends. Framework-free: the browser keeps these in IndexedDB
 * (storage/sent.ts), and unit tests check the rules here directly.
 */
import type { ShareEnd } from './share-life.ts';

export interface SentFile {
  name: string;
  size: number;
}

/** What a share offered: its files, and the text beside them (null: none). */
export interface SentShare {
  files: readonly SentFile[];
  text: string | null;
}

/** A receiver that got every file: its key (to count it once) and its self-reported device, if it gave one. */
export interface SentReceiver {
  /** The receiver's key. Stored under `session` in the history (its older name), so that name stays. */
  session: string;
  device: string | null;
}

export interface SentRecord {
  /** The share's broker id: the same share is one record however often it is noted. */
  id: string;
  files: SentFile[];
  /** The text shared beside the files (or alone); absent: none. */
  text?: string;
  total: number;
  receivers: SentReceiver[];
  /** How the link ended; absent while it worked when last seen. */
  ended?: ShareEnd['reason'];
  /** When it was first noted: a receiver finished, or the link ended. */
  createdAt: number;
  updatedAt: number;
}

export type SentEvent =
  | { kind: 'finished'; receiver: SentReceiver }
  /**
   * The link ended. `onlyIfKept`: it was found ended (a reload after its time ran
   * out), so it only completes a record that exists: one the person deleted, or a
   * share nobody was seen to use, does not come back.
   */
  | { kind: 'ended'; reason: ShareEnd['reason']; onlyIfKept?: boolean };

/** The record after `event`; null when there is none and the event makes none. */
export function noteSent(
  record: SentRecord | undefined,
  id: string,
  { files, text }: SentShare,
  event: SentEvent,
  now: number,
): SentRecord | null {
  if (!record && event.kind === 'ended' && event.onlyIfKept) return null;
  const base: SentRecord = record ?? {
    id,
    files: files.map(({ name, size }) => ({ name, size })),
    ...(text !== null && { text }),
    total: files.reduce((sum, file) => sum + file.size, 0),
    receivers: [],
    createdAt: now,
    updatedAt: now,
  };
  if (event.kind === 'ended') return base.ended ? base : { ...base, ended: event.reason, updatedAt: now };
  const { receiver } = event;
  const at = base.receivers.findIndex((known) => known.session === receiver.session);
  if (at === -1) return { ...base, receivers: [...base.receivers, receiver], updatedAt: now };
  // The same receiver again (it reconnected and finished once more): counted once.
  const known = base.receivers[at]!;
  if (known.device !== null || receiver.device === null) return base;
  return { ...base, receivers: base.receivers.with(at, receiver), updatedAt: now };
}

/** The records beyond the newest `limit` (by when they were first noted), to delete. */
export function overflow(records: readonly SentRecord[], limit: number): SentRecord[] {
  return [...records].sort((a, b) => b.createdAt - a.createdAt).slice(limit);
}
