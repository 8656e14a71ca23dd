/**
 * The home page's history: what this browser received (and keeps, until deleted)
 * and what it sent, read from IndexedDB whenever the list is shown or changes.
 */
import { deleteSent, listSent } from '../storage/sent.ts';
import { deleteTransfer, listTransfers } from '../storage/transfers.ts';
import { historyOf, type HistoryEntry } from './history.ts';
import type { Phrase } from './i18n/en.ts';
import { errorText } from './i18n/errors.ts';

class History {
  list = $state.raw<readonly HistoryEntry[]>([]);
  error = $state.raw<Phrase | null>(null);

  async refresh(): Promise<void> {
    // No IndexedDB here (some private windows): nothing was kept either.
    const [received, sent] = await Promise.all([listTransfers().catch(() => []), listSent().catch(() => [])]);
    this.list = historyOf(received, sent);
  }

  /** Deletes the entry; a received one with every byte kept of it. */
  async delete(entry: HistoryEntry): Promise<void> {
    try {
      await (entry.direction === 'received' ? deleteTransfer(entry.record) : deleteSent(entry.record));
      this.error = null;
    } catch (error) {
      this.error = (t) => t.stored.deleteFailed(errorText(error)(t));
    }
    await this.refresh();
  }
}

export const history = new History();
