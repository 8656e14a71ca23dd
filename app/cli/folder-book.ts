/**
 * The terminal's transfer book (session/receive-flow.ts TransferBook): each transfer's
 * record lives beside the files it receives, in the folder's `.ferry`, found again by
 * the link when `ferry receive` runs again with it.
 */
import { mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TransferBook } from '../src/session/receive-flow.ts';
import type { TransferRecord } from '../src/session/transfer-record.ts';
import type { ShareAddress } from '../src/transfer/link.ts';
import { openFileStore, type FileStore } from './file-store.ts';
import { diskError } from './store-disk.ts';
import { RECORD_FOLDER } from './store-journal.ts';

/** The link's sender id names the transfer's files in `.ferry`: it is all letters and digits. */
const recordPath = (dir: string, { peerId }: ShareAddress) => join(dir, RECORD_FOLDER, `${peerId}.link.json`);

export function folderBook(folder: string): TransferBook<FileStore> {
  const dir = resolve(folder);
  /** Saves one after another, so an older record never lands over a newer one. */
  let saving: Promise<void> = Promise.resolve();
  const write = async (record: TransferRecord) => {
    const path = recordPath(dir, record.address);
    await mkdir(join(dir, RECORD_FOLDER), { recursive: true });
    // Replaced whole, never half-written: a kill mid-save leaves the last record.
    await writeFile(`${path}.tmp`, JSON.stringify({ ...record, updatedAt: Date.now() }));
    await rename(`${path}.tmp`, path);
  };
  return {
    async find(address) {
      let text: string;
      try {
        text = await readFile(recordPath(dir, address), 'utf8');
      } catch {
        return undefined;
      }
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
      await store.forget();
      await rm(recordPath(dir, record.address), { force: true });
      // The folder of records goes too once no other transfer has one there.
      await rmdir(join(dir, RECORD_FOLDER)).catch(() => {});
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
