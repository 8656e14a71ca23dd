/**
 * Verified received files read back out of storage as streams, a chunk at a time,
 * never whole in memory. Used by the service worker for streaming downloads and ZIPs,
 * and by the page when it writes a ZIP through the save dialog. Only files whose
 * SHA-256 was verified are handed out.
 */
import { get, promisifyRequest, values } from 'idb-keyval';
import type { FileDescription } from '../transfer/messages.ts';
import type { StoredChunk } from './chunk-places.ts';
import { chunkKeys, hashKey, OPFS_FOLDER, received, transferRecords } from './layout.ts';
import { markedHash, markedPack, readPacked, type PackCache, type PackPlace } from './packs.ts';
import type { TransferRecord } from './transfers.ts';

export interface StoredFile extends FileDescription {
  /** The bytes, read from disk as the stream is pulled. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** Chunks read from IndexedDB per pull: 8 × 256 KiB at most. */
const CHUNKS_PER_READ = 8;

/** Thrown when a transfer or file is not there (any more) or not verified. */
export class NotStoredError extends Error {
  override name = 'NotStoredError';
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
export async function verifiedFile(record: TransferRecord, index: number, packs: { last?: PackCache } = {}): Promise<StoredFile> {
  const description = record.files[index];
  if (!description) throw new NotStoredError(`There is no file ${index} in this transfer.`);
  const mark: unknown = await get(hashKey(record.id, index), received());
  if (markedHash(mark) === null) throw new NotStoredError(`${description.name} has not been received and verified yet.`);
  const packed = markedPack(mark);
  const open = packed ? () => openPacked(record.id, packed, description.size, packs) : () => openBytes(record.id, index, description.size);
  return { ...description, open };
}

/** Every file of the transfer, all verified, or a NotStoredError. */
export function verifiedFiles(record: TransferRecord): Promise<StoredFile[]> {
  const packs = {};
  return Promise.all(record.files.map((_, index) => verifiedFile(record, index, packs)));
}

async function openPacked(id: string, place: PackPlace, size: number, packs: { last?: PackCache }): Promise<ReadableStream<Uint8Array>> {
  const bytes = await readPacked(id, place, size, packs);
  if (!bytes) throw new NotStoredError('Part of the stored file is missing.');
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
}

/** The OPFS file holding file `file` of transfer `id`, or null if there is none. */
export async function opfsFile(id: string, file: number): Promise<File | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  try {
    const root = await navigator.storage.getDirectory();
    const folder = await (await root.getDirectoryHandle(OPFS_FOLDER)).getDirectoryHandle(id);
    return await (await folder.getFileHandle(String(file))).getFile();
  } catch (error) {
    if ((error as Error).name === 'NotFoundError') return null;
    throw error;
  }
}

async function openBytes(id: string, file: number, size: number): Promise<ReadableStream<Uint8Array>> {
  if (size === 0) return new Blob([]).stream();
  const stored = await opfsFile(id, file);
  if (stored) {
    if (stored.size < size) throw new NotStoredError('The stored file is shorter than it should be.');
    return stored.slice(0, size).stream();
  }
  return chunkStream(id, file, size);
}

/** The IndexedDB chunks of one file, in order, checked to tile it exactly. */
function chunkStream(id: string, file: number, size: number): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const [keys, chunks] = await received()('readonly', (store): Promise<[IDBValidKey[], StoredChunk[]]> =>
          Promise.all([
            promisifyRequest(store.getAllKeys(chunkKeys(id, file, next), CHUNKS_PER_READ)),
            promisifyRequest(store.getAll(chunkKeys(id, file, next), CHUNKS_PER_READ) as IDBRequest<StoredChunk[]>),
          ]),
        );
        if (chunks.length === 0) throw new NotStoredError('Part of the stored file is missing.');
        for (const [at, chunk] of chunks.entries()) {
          if ((keys[at] as [string, number, number])[2] !== next) throw new NotStoredError('The stored file has a gap.');
          const bytes = chunk instanceof Blob ? new Uint8Array(await chunk.arrayBuffer()) : chunk;
          controller.enqueue(bytes);
          next += bytes.length;
        }
        if (next >= size) controller.close();
      },
    },
    // One read's worth queued ahead: the consumer's pace sets the memory used.
    { highWaterMark: 1 },
  );
}
