/** The unfinished (or finished but unsaved) transfers this browser keeps, for the home view. */
import type { TransferRecord } from '../session/transfer-record.ts';
import { deleteTransfer, listTransfers } from '../storage/transfers.ts';
import type { Phrase } from './i18n/en.ts';
import { errorText } from './i18n/errors.ts';

class StoredTransfers {
  list = $state.raw<readonly TransferRecord[]>([]);
  error = $state.raw<Phrase | null>(null);

  async refresh(): Promise<void> {
    try {
      this.list = await listTransfers();
    } catch {
      this.list = []; // no IndexedDB here (some private windows): nothing was stored either
    }
  }

  async discard(record: TransferRecord): Promise<void> {
    try {
      await deleteTransfer(record);
      this.error = null;
    } catch (error) {
      this.error = (t) => t.stored.deleteFailed(errorText(error)(t));
    }
    await this.refresh();
  }
}

export const storedTransfers = new StoredTransfers();
