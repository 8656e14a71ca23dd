/**
 * Turns what a ShareKeeper reports (its state, and each receiver that finishes)
 * into notes for the sender's history (session/sent-record.ts): a receiver got
 * every file, or the link ended. Leaving a share that still worked (sending other
 * files, "Stop sharing" before any receiver came) ends its link too, so it counts
 * as stopped. Notes are written one after the other, so a later one (the link ended
 * with its first download) never overtakes an earlier one (that download finished).
 *
 * Framework-free: the page passes IndexedDB as `note`, unit tests a list.
 */
import { parseRoute } from '../transfer/link.ts';
import type { ReceiverRow } from './receiver-rows.ts';
import type { SentEvent, SentFile, SentShare } from './sent-record.ts';
import type { ShareState } from './share-keeper.ts';

/** Writes one note about share `id`; may reject (it is only logged). */
export type NoteSent = (id: string, shared: SentShare, event: SentEvent) => Promise<void>;

/** The share the state last showed. */
interface Shown {
  id: string;
  files: readonly SentFile[];
  text: string | null;
  ended: boolean;
}

export class SentLog {
  readonly #note: NoteSent;
  #shown: Shown | null = null;
  /** The last state looked at. */
  #seen: Pick<ShareState, 'link' | 'files' | 'missing' | 'ended'> | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(note: NoteSent) {
    this.#note = note;
  }

  /** The share's state changed. */
  changed(state: ShareState): void {
    // Called on every progress change of every receiver: only a new link, new files or
    // the link's end matter here, and the keeper hands the same objects until they change.
    const seen = this.#seen;
    if (seen && seen.link === state.link && seen.files === state.files && seen.missing === state.missing && seen.ended === state.ended) return;
    this.#seen = state;
    const before = this.#shown;
    const id = state.link === null ? null : shareId(state.link);
    if (before && before.id !== id && !before.ended) this.#write(before, { kind: 'ended', reason: 'stopped' });
    if (id === null) {
      this.#shown = null;
      return;
    }
    const same = before?.id === id ? before : null;
    // After a reload the files are `missing` until added again, and neither once the
    // share is found ended: what was seen first stays.
    const listed = state.files.length > 0 ? state.files : state.missing;
    const files = listed.length > 0 ? listed.map(({ name, size }) => ({ name, size })) : (same?.files ?? []);
    const shown = { id, files, text: state.text ?? same?.text ?? null, ended: state.ended !== null };
    this.#shown = shown;
    if (state.ended && !same?.ended) {
      // Seen working before it ended: worth a record. Found ended: only completes one.
      this.#write(shown, { kind: 'ended', reason: state.ended.reason, ...(!same && { onlyIfKept: true }) });
    }
  }

  /** A receiver has every file of the share shown. */
  finished(row: ReceiverRow): void {
    if (this.#shown) this.#write(this.#shown, { kind: 'finished', receiver: { session: row.id, device: row.device } });
  }

  /** Resolves once every note asked for so far is written (or failed). */
  settled(): Promise<void> {
    return this.#writing;
  }

  #write({ id, files, text }: Shown, event: SentEvent): void {
    this.#writing = this.#writing.then(() =>
      this.#note(id, { files, text }, event).catch((error: unknown) => {
        // The share is unaffected; only its line in the history is missing.
        console.warn('cannot note what was sent', error);
      }),
    );
  }
}

/** A share's id in the history: its broker id, from the link. */
function shareId(link: string): string | null {
  const route = parseRoute(new URL(link).hash);
  return route.view === 'receive' ? route.address.peerId : null;
}
