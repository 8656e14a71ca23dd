/**
 * Received bytes in IndexedDB: one record per chunk, keyed [transfer, file, offset],
 * with each file's stored ranges under [transfer, file, 'ranges'] and its verified
 * SHA-256 under [transfer, file, 'sha256'] in the same object store. Chunks and the
 * ranges that count them are written in one transaction, so the record never claims
 * bytes that are not there, whatever moment the page dies at.
 *
 * Chunks are Blobs: browsers keep large IndexedDB Blobs on disk, and a file rebuilt
 * as a Blob of chunk Blobs is saved without ever being read into memory.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { addRange, parseRangeList, type RangeList } from '../transfer/ranges.ts';
import { StorageFullError, type ReceiveStore } from '../transfer/store.ts';

/** Chunks are gathered to about this size before a transaction commits them. */
const COMMIT_BYTES = 1024 * 1024;

let bytesStore: UseStore | undefined;
/** Created on first use, like idb-keyval's own default store. */
function received(): UseStore {
  return (bytesStore ??= createStore('ferry-received', 'bytes'));
}

const fileKeys = (id: string, file: number) => IDBKeyRange.bound([id, file, 0], [id, file, Infinity]);
const rangesKey = (id: string, file: number) => [id, file, 'ranges'];
const hashKey = (id: string, file: number) => [id, file, 'sha256'];

export interface StoredTransfer extends ReceiveStore {
  /** Everything written so far, committed. */
  flush(): Promise<void>;
  /** A verified file as a disk-backed Blob, for saving. */
  blob(file: number, type: string): Promise<Blob>;
}

/** Opens the stored bytes of transfer `id`, which has `files` files. */
export async function openStoredTransfer(id: string, files: number): Promise<StoredTransfer> {
  const [lists, hashes] = await received()('readonly', (store) =>
    Promise.all([
      Promise.all(Array.from({ length: files }, (_, file) => promisifyRequest(store.get(rangesKey(id, file))))),
      Promise.all(Array.from({ length: files }, (_, file) => promisifyRequest(store.get(hashKey(id, file))))),
    ]),
  );
  const ranges: RangeList[] = lists.map((value) => parseRangeList(value) ?? []);
  const verified = hashes.map((value) => (typeof value === 'string' ? value : null));
  // Writes wait here until about COMMIT_BYTES have gathered; so do verified marks,
  // which must never be committed before the bytes they vouch for.
  const chunks: { file: number; offset: number; bytes: Uint8Array }[] = [];
  const marks: { file: number; sha256: string }[] = [];
  let pendingBytes = 0;

  async function commit(): Promise<void> {
    if (chunks.length === 0 && marks.length === 0) return;
    const batch = chunks.splice(0);
    const verifiedNow = marks.splice(0);
    pendingBytes = 0;
    const touched = new Map<number, RangeList>();
    for (const { file, offset, bytes } of batch) {
      touched.set(file, addRange(touched.get(file) ?? ranges[file]!, offset, offset + bytes.length));
    }
    try {
      await received()('readwrite', (store) => {
        for (const { file, offset, bytes } of batch) store.put(new Blob([bytes as Uint8Array<ArrayBuffer>]), [id, file, offset]);
        for (const [file, list] of touched) store.put(list, rangesKey(id, file));
        for (const { file, sha256 } of verifiedNow) store.put(sha256, hashKey(id, file));
        return promisifyRequest(store.transaction);
      });
    } catch (error) {
      throw storageError(error);
    }
    for (const [file, list] of touched) ranges[file] = list;
  }

  async function stored(file: number): Promise<Blob[]> {
    await commit();
    return received()('readonly', (store) => promisifyRequest(store.getAll(fileKeys(id, file)) as IDBRequest<Blob[]>));
  }

  return {
    ranges: (file) => ranges[file]!,
    isVerified: (file) => verified[file] != null,
    async write(file, offset, bytes) {
      chunks.push({ file, offset, bytes });
      pendingBytes += bytes.length;
      if (pendingBytes >= COMMIT_BYTES) await commit();
    },
    flush: commit,
    async *read(file) {
      for (const chunk of await stored(file)) yield new Uint8Array(await chunk.arrayBuffer());
    },
    async blob(file, type) {
      return new Blob(await stored(file), { type: type || 'application/octet-stream' });
    },
    async settle(file, sha256) {
      if (sha256 !== null) {
        verified[file] = sha256;
        marks.push({ file, sha256 });
        return;
      }
      await commit();
      await received()('readwrite', (store) => {
        store.delete(fileKeys(id, file));
        store.delete(rangesKey(id, file));
        return promisifyRequest(store.transaction);
      });
      ranges[file] = [];
    },
  };
}

/** Forgets every byte of transfer `id`. */
export function deleteStoredTransfer(id: string): Promise<void> {
  return received()('readwrite', (store) => {
    store.delete(IDBKeyRange.bound([id], [id, []]));
    return promisifyRequest(store.transaction);
  });
}

export function storageError(error: unknown): Error {
  const name = (error as Error | null)?.name;
  if (name === 'QuotaExceededError') {
    return new StorageFullError('This device has no room left for the transfer. What was received is kept; free some space and try again.');
  }
  return error instanceof Error ? error : new Error(String(error));
}
