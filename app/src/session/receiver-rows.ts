/**
 * One row per receiver, not per connection: a receiver that reconnects names its
 * transfer in its hello, and its row carries on — its number, its device, and the
 * bytes sent to it over all its connections. At most MAX_ROWS: past them, the oldest
 * row of a receiver no longer connected makes way.
 */
import type { PasswordTally } from '../transfer/password-guard.ts';
import type { SenderSnapshot, SenderState } from '../transfer/sender.ts';
import type { ConnectionPath } from './host-ports.ts';
import { RECEIVER_LIMITS } from './receiver-limits.ts';

/** As many as the receivers a share serves at once, so one of them always has a row. */
export const MAX_ROWS = RECEIVER_LIMITS.perShare;

export interface ReceiverRow {
  id: string;
  /** Receivers are numbered in the order they arrived: "Receiver 2". */
  number: number;
  /** How the receiver describes its device (self-reported, cleaned), if it did. */
  device: string | null;
  snapshot: SenderSnapshot;
  /** File payload bytes sent to this receiver over all its connections. */
  sentBytes: number;
  /** Which way the bytes travel on its latest connection. */
  path: ConnectionPath | null;
  /** Its wrong passwords and lockout, if it gave any (transfer/password-guard.ts). */
  password: PasswordTally | null;
  /** Its connection closed under a session still going: the receiver left (or lost its network). */
  left: boolean;
}

/**
 * A receiver's own description of its device, told apart from earlier receivers'
 * alike: a class of phones all say "Chrome 131 on Android", and the person sending
 * must know which one to allow. The second is "Chrome 131 on Android (2)".
 */
function distinct(device: string | null, rows: readonly ReceiverRow[]): string | null {
  if (device === null) return null;
  const alike = rows.filter((row) => row.device === device || row.device?.startsWith(`${device} (`)).length;
  return alike === 0 ? device : `${device} (${alike + 1})`;
}

/** A session in one of these states is over: its connection is let go of. */
export const isOver = (state: SenderState) => state === 'done' || state === 'error' || state === 'ended';

export class ReceiverRows {
  #rows: readonly ReceiverRow[] = [];
  #count = 0;
  /** Bytes sent to each receiver on connections that have ended. */
  readonly #sentBefore = new Map<string, number>();
  /**
   * The connection each row shows, its receiver's latest, and the connections a later
   * one took over from until they end: a connection killed under a receiver (a
   * terminal, a closed laptop) may be found dead only after the receiver came back on
   * a new one and finished, and its end must not turn a finished row into "Left".
   */
  readonly #shown = new Map<string, string>();
  readonly #replaced = new Set<string>();

  /** In the order the receivers arrived; a new array whenever one changes. */
  get all(): readonly ReceiverRow[] {
    return this.#rows;
  }

  /**
   * Shows the latest snapshot of `connection` in row `id`, whose path it knows (if
   * yet). Returns the row and the state it showed before (null: a new row), or null
   * when the connection gets no row, or has been replaced by its receiver's next.
   */
  show(
    id: string,
    connection: string,
    snapshot: SenderSnapshot,
    path: ConnectionPath | null,
    left = false,
  ): { row: ReceiverRow; before: SenderState | null } | null {
    if (this.#replaced.has(connection)) return this.#stale(id, connection, snapshot);
    const at = this.#rows.findIndex((existing) => existing.id === id);
    const existing = this.#rows[at];
    // Only a receiver that proved it holds the link gets a row; anyone else saw nothing.
    // Nor does one told at once that the link is dead.
    if (!existing && (snapshot.state === 'connecting' || snapshot.state === 'error' || snapshot.state === 'ended')) return null;
    const row: ReceiverRow = {
      id,
      number: existing?.number ?? ++this.#count,
      device: existing?.device ?? distinct(snapshot.device, this.#rows),
      snapshot,
      sentBytes: (this.#sentBefore.get(id) ?? 0) + snapshot.sentBytes,
      path: path ?? existing?.path ?? null,
      password: existing?.password ?? null,
      left,
    };
    if (isOver(snapshot.state)) this.#sentBefore.set(id, row.sentBytes);
    // Taken over from a connection not yet over, which may still report its end.
    const before = this.#shown.get(id);
    if (before !== undefined && before !== connection && existing && !isOver(existing.snapshot.state)) this.#replaced.add(before);
    this.#shown.set(id, connection);
    this.#rows = existing ? this.#rows.with(at, row) : [...this.#makeWay(), row];
    return { row, before: existing?.snapshot.state ?? null };
  }

  /**
   * A connection its receiver has since replaced changes nothing on the row but the
   * bytes sent, once it is over; then it is forgotten. Null: nothing to show.
   */
  #stale(id: string, connection: string, snapshot: SenderSnapshot): null {
    if (!isOver(snapshot.state)) return null;
    this.#replaced.delete(connection);
    const sent = (this.#sentBefore.get(id) ?? 0) + snapshot.sentBytes;
    this.#sentBefore.set(id, sent);
    const row = this.#rows.find((existing) => existing.id === id);
    if (row) this.#change(id, { sentBytes: row.sentBytes + snapshot.sentBytes });
    return null;
  }

  /** The rows less the oldest of a receiver no longer connected, when a new one would pass MAX_ROWS. */
  #makeWay(): readonly ReceiverRow[] {
    if (this.#rows.length < MAX_ROWS) return this.#rows;
    const gone = this.#rows.find((row) => isOver(row.snapshot.state));
    if (!gone) return this.#rows;
    this.#sentBefore.delete(gone.id);
    this.#shown.delete(gone.id);
    return this.#rows.filter((row) => row !== gone);
  }

  /** A connection of row `id` moved to `path`; false when there is no such row (yet). */
  setPath(id: string, path: ConnectionPath): boolean {
    return this.#change(id, { path });
  }

  /** Row `id`'s wrong passwords changed; false when there is no such row. */
  setPassword(id: string, password: PasswordTally | null): boolean {
    return this.#change(id, { password });
  }

  #change(id: string, change: Partial<ReceiverRow>): boolean {
    const at = this.#rows.findIndex((row) => row.id === id);
    if (at === -1) return false;
    this.#rows = this.#rows.with(at, { ...this.#rows[at]!, ...change });
    return true;
  }
}
