/**
 * Received bytes, durably, with an exact account of what is stored.
 *
 * The account lives in IndexedDB: each file's stored ranges under
 * [transfer, file, 'ranges'], its verified SHA-256 under [transfer, file, 'sha256'] and
 * the one the sender first announced under [transfer, file, 'pin']. A verified file is
 * whole, so a file verified in the batch that stores it has no ranges entry: one
 * write fewer for each of 10,000 small files. Small files stored whole and verified
 * in one batch share one value of bytes, a pack (packs.ts).
 * The bytes live in one of two places (see chunk-places.ts): the Origin Private File
 * System, written by a worker through sync access handles, where the browser offers
 * it (but for small files); otherwise IndexedDB itself, one value per chunk keyed [transfer, file, offset],
 * written in the same transaction as the ranges that count them. Either way the
 * ranges never claim bytes that are not there, whatever moment the page dies at.
 */
import { promisifyRequest } from 'idb-keyval';
import type { FileDescription } from '../transfer/messages.ts';
import { addRange, parseRangeList, type RangeList } from '../transfer/ranges.ts';
import { StorageFullError, type ReceiveStore } from '../transfer/store.ts';
import { since, span } from '../transfer/trace.ts';
import { chunkPlace, SMALL_FILE_BYTES, type Chunk, type ChunkPlace } from './chunk-places.ts';
import { hashKey, packKey, pinKey, rangesKey, received } from './layout.ts';
import { markedHash, markedPack, type PackPlace, type VerifiedMark } from './packs.ts';
import { storedBlob } from './stored-bytes.ts';

/** Chunks are gathered to about this size before they are committed. */
export const COMMIT_BYTES = 1024 * 1024;

export interface StoredTransfer extends ReceiveStore {
  /** Everything committed and the files closed, so the service worker can stream them. */
  release(): Promise<void>;
  /** A verified file as a disk-backed Blob, for saving. */
  blob(file: number, type: string): Promise<Blob>;
}

/**
 * Opens the stored bytes of transfer `id`, which began with `files`, kept `where`: by
 * default where this browser keeps received bytes (chunk-places.ts).
 */
export async function openStoredTransfer(id: string, files: readonly FileDescription[], where?: ChunkPlace): Promise<StoredTransfer> {
  const place = where ?? (await chunkPlace());
  const [lists, hashes, pinned] = await received()('readonly', async (store) => {
    // Only the entries that exist are read: a new transfer of 10,000 files has none,
    // and 30,000 reads that find nothing take seconds.
    const keys = await promisifyRequest(store.getAllKeys(IDBKeyRange.bound([id], [id, []])));
    const present = new Set(keys.map((key) => JSON.stringify(key)));
    const each = (key: typeof rangesKey) =>
      Promise.all(files.map((_, file) => (present.has(JSON.stringify(key(id, file))) ? promisifyRequest(store.get(key(id, file))) : undefined)));
    return Promise.all([each(rangesKey), each(hashKey), each(pinKey)]);
  });
  const hex = (value: unknown) => (typeof value === 'string' ? value : null);
  const verified = hashes.map(markedHash);
  const packed: (PackPlace | null)[] = hashes.map(markedPack);
  const ranges: RangeList[] = lists.map((value, file) => parseRangeList(value) ?? (verified[file] ? whole(files[file]!.size) : []));
  const pins = pinned.map(hex);
  // Writes gather here until about COMMIT_BYTES have come; so do verified marks,
  // which must never be committed before the bytes they vouch for.
  const chunks: Chunk[] = [];
  const marks: { file: number; sha256: string }[] = [];
  let pendingBytes = 0;
  // One batch is committed while the next gathers, so the disk's latency (a flush,
  // an IndexedDB transaction) overlaps receiving instead of stalling it. Batches
  // commit strictly in order; a failed one is reported by the next write or flush.
  let committing: Promise<void> = Promise.resolve();
  let failure: Error | null = null;

  function startCommit(): Promise<void> {
    const batch = chunks.splice(0);
    const verifiedNow = marks.splice(0);
    pendingBytes = 0;
    committing = committing.then(() => (failure ? undefined : commitBatch(batch, verifiedNow))).catch((error: unknown) => {
      failure ??= storageError(error);
    });
    return committing;
  }

  async function commitBatch(batch: Chunk[], verifiedNow: { file: number; sha256: string }[]): Promise<void> {
    const start = since();
    // Counted now: writing hands the buffers to the storage worker.
    const size = batch.reduce((sum, chunk) => sum + chunk.bytes.length, 0);
    const touched = new Map<number, RangeList>();
    for (const { file, offset, bytes } of batch) {
      touched.set(file, addRange(touched.get(file) ?? ranges[file]!, offset, offset + bytes.length));
    }
    // The verified mark of a file stored whole says as much as its ranges would.
    const wholeNow = new Set(verifiedNow.map(({ file }) => file).filter((file) => ranges[file]!.length === 0 && isWhole(touched.get(file), files[file]!.size)));
    const { pack, places, rest } = packSmall(batch, wholeNow);
    await place.write(id, rest);
    await received()('readwrite', (store) => {
      try {
        place.writeWithRanges(id, rest, store);
        if (pack) store.put(pack.bytes, packKey(id, pack.number));
        for (const [file, list] of touched) if (!wholeNow.has(file)) store.put(list, rangesKey(id, file));
        for (const { file, sha256 } of verifiedNow) {
          const at = places.get(file);
          const mark: VerifiedMark = at === undefined ? sha256 : { sha256, pack: pack!.number, at };
          store.put(mark, hashKey(id, file));
        }
      } catch (error) {
        // A put that throws (a value that cannot be stored) would leave the puts before
        // it to commit on their own: all of the batch, or none of it.
        store.transaction.abort();
        throw error;
      }
      return promisifyRequest(store.transaction);
    });
    for (const [file, list] of touched) ranges[file] = list;
    for (const [file, at] of places) packed[file] = { pack: pack!.number, at };
    span('commit', start, size);
  }

  function throwIfFailed(): void {
    if (failure) throw failure;
  }

  /** Everything gathered so far, committed. */
  async function commit(): Promise<void> {
    if (chunks.length > 0 || marks.length > 0) startCommit();
    await committing;
    throwIfFailed();
  }

  async function stored(file: number): Promise<Blob> {
    await commit();
    await place.readable(id, file);
    return storedBlob(id, file, files[file]!.size, packed[file] ?? null);
  }

  return {
    files,
    ranges: (file) => ranges[file]!,
    isVerified: (file) => verified[file] != null,
    async write(file, offset, bytes) {
      throwIfFailed();
      chunks.push({ file, offset, bytes, small: files[file]!.size <= SMALL_FILE_BYTES });
      pendingBytes += bytes.length;
      if (pendingBytes < COMMIT_BYTES) return;
      // At most one batch in flight: wait for it, then send this one on its way.
      await committing;
      throwIfFailed();
      void startCommit();
    },
    flush: commit,
    async release() {
      await commit();
      await place.release(id);
    },
    async *read(file) {
      const blob = await stored(file);
      const step = 4 * 1024 * 1024;
      for (let at = 0; at < blob.size; at += step) yield new Uint8Array(await blob.slice(at, at + step).arrayBuffer());
    },
    async blob(file, type) {
      const blob = await stored(file);
      return new Blob([blob], { type: type || 'application/octet-stream' });
    },
    async settle(file, sha256) {
      throwIfFailed();
      if (sha256 !== null) {
        verified[file] = sha256;
        marks.push({ file, sha256 });
        return;
      }
      await commit();
      await place.delete(id, file);
      await received()('readwrite', (store) => {
        store.delete(rangesKey(id, file));
        return promisifyRequest(store.transaction);
      });
      ranges[file] = [];
    },
    pinned: (file) => pins[file] ?? verified[file] ?? null,
    async pin(learned) {
      if (learned.length === 0) return;
      // In a transaction of its own and awaited: durable before any byte it vouches for.
      try {
        await received()('readwrite', (store) => {
          for (const { file, sha256 } of learned) store.put(sha256, pinKey(id, file));
          return promisifyRequest(store.transaction);
        });
      } catch (error) {
        throw storageError(error);
      }
      for (const { file, sha256 } of learned) pins[file] = sha256;
    },
  };
}

/**
 * The small files of a batch that are whole in it and verified with it, put together
 * in one pack numbered by its first file; `rest` is every other chunk.
 */
function packSmall(batch: readonly Chunk[], wholeNow: ReadonlySet<number>): { pack: { number: number; bytes: Uint8Array } | null; places: Map<number, number>; rest: Chunk[] } {
  // A small file may have come in several chunks (messages smaller than the file):
  // in file and offset order, each file's chunks lie one after another.
  const packable = batch.filter((chunk) => chunk.small === true && wholeNow.has(chunk.file)).sort((a, b) => a.file - b.file || a.offset - b.offset);
  const places = new Map<number, number>();
  if (packable.length < 2) return { pack: null, places, rest: [...batch] };
  const bytes = new Uint8Array(packable.reduce((sum, chunk) => sum + chunk.bytes.length, 0));
  let at = 0;
  for (const chunk of packable) {
    bytes.set(chunk.bytes, at);
    if (!places.has(chunk.file)) places.set(chunk.file, at);
    at += chunk.bytes.length;
  }
  const inPack = new Set(packable);
  return { pack: { number: packable[0]!.file, bytes }, places, rest: batch.filter((chunk) => !inPack.has(chunk)) };
}

function whole(size: number): RangeList {
  return size > 0 ? [[0, size]] : [];
}

function isWhole(list: RangeList | undefined, size: number): boolean {
  return size === 0 ? list === undefined : list?.length === 1 && list[0]![0] === 0 && list[0]![1] === size;
}

/** Deletes every byte of transfer `id`. */
export async function deleteStoredTransfer(id: string): Promise<void> {
  const place = await chunkPlace();
  await place.deleteAll(id);
  await received()('readwrite', (store) => {
    store.delete(IDBKeyRange.bound([id], [id, []]));
    return promisifyRequest(store.transaction);
  });
}

export function storageError(error: unknown): Error {
  const name = (error as Error | null)?.name;
  if (name === 'QuotaExceededError' || name === 'StorageFullError') {
    return new StorageFullError('This device has no room left for the transfer. What was received is kept; free some space and try again.');
  }
  return error instanceof Error ? error : new Error(String(error));
}
