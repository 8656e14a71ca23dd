/**
 * The terminal's transfer book (session/receive-flow.ts TransferBook): each transfer's
 * record lives beside the files it receives, in the folder's `.ferry`, found again by
 * the link when `ferry receive` runs again with it.
 */
import { resolve } from 'node:path';
import type { TransferBook } from '../src/session/receive-flow.ts';
import type { TransferRecord } from '../src/session/transfer-record.ts';
import type { ShareAddress } from '../src/transfer/link.ts';
import { openFileStore, type FileStore } from './file-store.ts';
import { RecordFolder } from './record-folder.ts';
import { diskError, nodeDisk, UnsafePlaceError } from './store-disk.ts';

/** The link's sender id names the transfer's files in `.ferry`: it is all letters and digits. */
const recordName = ({ peerId }: ShareAddress) => `${peerId}.link.json`;

export function folderBook(folder: string): TransferBook<FileStore> {
  const dir = resolve(folder);
  const records = new RecordFolder(dir, nodeDisk);
  /** Saves one after another, so an older record never lands over a newer one. */
  let saving: Promise<void> = Promise.resolve();
  // Replaced whole, never half-written: a kill mid-save leaves the last record.
  const write = (record: TransferRecord) => records.replace(recordName(record.address), JSON.stringify({ ...record, updatedAt: Date.now() }));
  return {
    async find(address) {
      let text: string | null;
      try {
        text = await records.read(recordName(address));
      } catch (error) {
        // A planted link is not a missing record: starting afresh would hide it.
        if (error instanceof UnsafePlaceError) throw error;
        return undefined;
      }
      if (text === null) return undefined;
      const record = parseRecord(text);
      // The same sender id with another secret or key is another share: start afresh.
      const same = record && record.address.secret === address.secret && record.address.senderKey === address.senderKey;
      return same ? record : undefined;
    },
    save(record) {
      // As it is now: the caller goes on changing it.
      const copy = structuredClone(record);
      // A full disk says so as the store's own writes do (StorageFullError).
      const saved = saving.then(() => write(copy)).catch((error: unknown) => {
        throw diskError(error);
      });
      saving = saved.catch(() => {});
      return saved;
    },
    async delete(record) {
      const store = await openFileStore(dir, record.address.peerId, record.files);
      await store.delete();
      await records.delete(recordName(record.address));
      // The folder of records goes too once no other transfer has one there.
      await records.deleteIfEmpty();
    },
    open: (record) => openFileStore(dir, record.address.peerId, record.files),
  };
}

/** A record as this book writes it, or null for anything else (a damaged file is not trusted). */
function parseRecord(text: string): TransferRecord | null {
  try {
    const record = JSON.parse(text) as TransferRecord;
    const fine =
      typeof record.id === 'string' &&
      typeof record.address?.peerId === 'string' &&
      Array.isArray(record.files) &&
      record.files.every((file) => typeof file?.name === 'string' && Number.isSafeInteger(file?.size));
    return fine ? record : null;
  } catch {
    return null;
  }
}
