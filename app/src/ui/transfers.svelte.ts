/** The unfinished (or finished but unsaved) transfers this browser keeps, for the home view. */
import { deleteTransfer, listTransfers, type TransferRecord } from '../storage/transfers.ts';

class StoredTransfers {
  list = $state.raw<readonly TransferRecord[]>([]);
  error = $state<string | null>(null);

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
      this.error = `Could not delete it: ${(error as Error).message}`;
    }
    await this.refresh();
  }
}

export const storedTransfers = new StoredTransfers();
