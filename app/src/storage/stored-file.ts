/**
 * Verified received files read back out of storage as streams (stored-bytes.ts finds
 * their bytes), never whole in memory. Used by the service worker for streaming
 * downloads and ZIPs, and by the page when it writes a ZIP through the save dialog.
 * Only files whose SHA-256 was verified are handed out.
 */
import { get, values } from 'idb-keyval';
import type { FileDescription } from '../transfer/messages.ts';
import { hashKey, received, transferRecords } from './layout.ts';
import { markedHash, markedPack, type PackCache } from './packs.ts';
import { NotStoredError, storedBlob } from './stored-bytes.ts';
import type { TransferRecord } from '../session/transfer-record.ts';

/** A received file whose SHA-256 was verified, readable as a stream. */
export interface VerifiedFile extends FileDescription {
  /** The bytes, read from disk as the stream is pulled. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** The transfer record with this id, if this browser still keeps it. */
export async function findTransferById(id: string): Promise<TransferRecord | undefined> {
  const all = await values<TransferRecord>(transferRecords());
  return all.find((record) => record.id === id);
}

/**
 * File `index` of transfer `id`, if it is stored and verified. Files opened one after
 * another with the same `packs` read a pack of small files they share once.
 */
export async function verifiedFile(record: TransferRecord, index: number, packs: { last?: PackCache } = {}): Promise<VerifiedFile> {
  const description = record.files[index];
  if (!description) throw new NotStoredError(`There is no file ${index} in this transfer.`);
  const mark: unknown = await get(hashKey(record.id, index), received());
  if (markedHash(mark) === null) throw new NotStoredError(`${description.name} has not been received and verified yet.`);
  const open = async () => (await storedBlob(record.id, index, description.size, markedPack(mark), packs)).stream();
  return { ...description, open };
}

/** Every file of the transfer, all verified, or a NotStoredError. */
export function verifiedFiles(record: TransferRecord): Promise<VerifiedFile[]> {
  const packs = {};
  return Promise.all(record.files.map((_, index) => verifiedFile(record, index, packs)));
}
