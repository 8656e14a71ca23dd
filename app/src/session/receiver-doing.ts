/**
 * What one receiver is doing, as the person sending follows it: one code per fact,
 * with its figures as data. The front end puts each into words (ui/receiver-words.ts).
 */
import type { Failure } from '../transfer/failure.ts';
import type { ShareEnd } from './share-life.ts';
import type { ReceiverRow } from './receiver-rows.ts';

export type ReceiverDoing =
  /** Calling again, after its connection dropped. */
  | { kind: 'connecting' }
  /** Asked for the password, none wrong yet. */
  | { kind: 'password' }
  /** Gave `wrong` wrong passwords, and may try again now. */
  | { kind: 'wrong-password'; wrong: number }
  /** Gave `wrong` wrong passwords, and may not try for `lockedForMs`. */
  | { kind: 'locked-out'; wrong: number; lockedForMs: number }
  /** Waits for the person sending to allow or decline it. */
  | { kind: 'asking' }
  /** Gave a password while someone is guessing at the share's: it is checked once the person allows it. */
  | { kind: 'held' }
  /** Has the list of files, and has not pressed Download yet. */
  | { kind: 'looking' }
  | { kind: 'downloading' }
  | { kind: 'done' }
  | { kind: 'declined' }
  /** Was told the share serves as many receivers as it may, and hung up on. */
  | { kind: 'turned-away' }
  /** Waited too long at a gate or with the list of files, and was hung up on. */
  | { kind: 'timed-out' }
  /** Was told the link ended (stopped or expired) and hung up on. */
  | { kind: 'told-ended'; reason: ShareEnd['reason'] }
  /** Its connection closed while it was still under way: it left, or lost its network. */
  | { kind: 'left' }
  /** Failed for `failure`, if it is known. */
  | { kind: 'failed'; failure: Failure | null };

export type ReceiverDoingKind = ReceiverDoing['kind'];

export function receiverDoing(row: Pick<ReceiverRow, 'snapshot' | 'password' | 'left'>): ReceiverDoing {
  const { state, ended, failure } = row.snapshot;
  switch (state) {
    case 'connecting':
      return { kind: 'connecting' };
    case 'password': {
      const tally = row.password;
      if (!tally || tally.wrong === 0) return { kind: 'password' };
      return tally.lockedForMs > 0 ? { kind: 'locked-out', ...tally } : { kind: 'wrong-password', wrong: tally.wrong };
    }
    case 'approval':
      return row.snapshot.held ? { kind: 'held' } : { kind: 'asking' };
    case 'waiting':
      return { kind: 'looking' };
    case 'transferring':
      return { kind: 'downloading' };
    case 'done':
      return { kind: 'done' };
    case 'ended':
      if (ended === 'declined') return { kind: 'declined' };
      if (ended === 'busy') return { kind: 'turned-away' };
      if (ended === 'timed-out') return { kind: 'timed-out' };
      return { kind: 'told-ended', reason: ended ?? 'stopped' };
    case 'error':
      return row.left ? { kind: 'left' } : { kind: 'failed', failure };
  }
}
