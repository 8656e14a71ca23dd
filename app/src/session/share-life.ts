/**
 * How a share's link ends: stopped by the person sending, expired after a time or
 * after the first complete download, or simply finished once everyone who started
 * has every file. Pure decisions over what the share record holds and the wall
 * clock, so the page can ask again at any moment (a timer, an incoming connection,
 * a reload) and get the same answer: timers stop while a laptop sleeps, the clock
 * does not.
 */
import type { EndReason } from '../transfer/messages.ts';

/** The choices the sender has; a time counts from when it was chosen. */
export type Expiry = 'never' | '1h' | '1d' | '7d' | 'first-download';

const HOUR_MS = 60 * 60_000;
/** How long each choice lasts by the clock; null: not by the clock. */
const LIFETIMES = {
  never: null,
  '1h': HOUR_MS,
  '1d': 24 * HOUR_MS,
  '7d': 7 * 24 * HOUR_MS,
  'first-download': null,
} as const satisfies Record<Expiry, number | null>;

export const EXPIRIES = Object.keys(LIFETIMES) as Expiry[];

export function isExpiry(value: unknown): value is Expiry {
  return typeof value === 'string' && Object.hasOwn(LIFETIMES, value);
}

/** The sender's choice and when it was made. */
export interface ExpiryChoice {
  kind: Expiry;
  from: number;
}

/** Why a share's link is dead, and since when. (The other reasons are about one receiver, never a share.) */
export interface ShareEnd {
  reason: Extract<EndReason, 'stopped' | 'expired'>;
  at: number;
}

/** A receiver that began downloading, by its key, and whether it has every file. */
export interface ReceiverSummary {
  /** The receiver's key. Stored under `session` in saved shares (its older name), so that name stays. */
  session: string;
  done: boolean;
}

/** What a share record keeps about its life; all absent in a fresh (or older) record. */
export interface ShareLife {
  expiry?: ExpiryChoice;
  ended?: ShareEnd;
  receivers?: ReceiverSummary[];
}

export type ShareStage =
  | { stage: 'live' }
  /** The link is dead; receivers who open it are told why. */
  | { stage: 'ended'; end: ShareEnd }
  /** Every receiver that started has every file (at least one did); the link still works. */
  | { stage: 'finished'; receivers: number };

/** When a time expiry falls due, if one is set. */
export function expiresAt(life: ShareLife): number | null {
  const lifetime = life.expiry ? LIFETIMES[life.expiry.kind] : null;
  return lifetime === null ? null : life.expiry!.from + lifetime;
}

/** The end the link has reached by `now`: the one recorded, or a time expiry that has fallen due. */
export function endOf(life: ShareLife, now: number): ShareEnd | null {
  if (life.ended) return life.ended;
  const due = expiresAt(life);
  return due !== null && now >= due ? { reason: 'expired', at: due } : null;
}

export function stageOf(life: ShareLife, now: number): ShareStage {
  const end = endOf(life, now);
  if (end) return { stage: 'ended', end };
  const receivers = life.receivers ?? [];
  return receivers.length > 0 && receivers.every((receiver) => receiver.done) ? { stage: 'finished', receivers: receivers.length } : { stage: 'live' };
}

/** Milliseconds until a time expiry falls due (0 if it has), or null when none is set or the link has ended. */
export function untilExpiry(life: ShareLife, now: number): number | null {
  const due = expiresAt(life);
  return due === null || life.ended ? null : Math.max(0, due - now);
}

/** Whether the next complete download ends the link. */
export function endsAfterDownload(life: ShareLife): boolean {
  return life.expiry?.kind === 'first-download' && !life.ended;
}

/**
 * The summary with `receiverKey` started (or finished, when `done`), or null when that
 * changes nothing. A receiver that finished stays finished.
 */
export function noteReceiver(receivers: readonly ReceiverSummary[], receiverKey: string, done: boolean): ReceiverSummary[] | null {
  const at = receivers.findIndex((receiver) => receiver.session === receiverKey);
  if (at === -1) return [...receivers, { session: receiverKey, done }];
  if (receivers[at]!.done || !done) return null;
  return receivers.with(at, { session: receiverKey, done: true });
}
