/**
 * Received bytes, durably, with an exact account of what is stored: the browser's I/O
 * under the one batched store (transfer/batched-store.ts), which gathers the writes
 * into batches and decides what counts as stored.
 *
 * The account lives in IndexedDB: each file's stored ranges under
 * [transfer, file, 'ranges'], its verified root (block-tree.ts) under [transfer, file,
 * 'sha256'] — the key's name from when files were verified by their SHA-256, kept so that
 * transfers stored then still open — and the root the sender first announced under
 * [transfer, file, 'pin']. A verified file is
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
import { BatchedStore, type Batch, type RangeChange, type StoreBackend, type StoredState } from '../transfer/batched-store.ts';
import type { FileDescription } from '../transfer/messages.ts';
import { parseRangeList, type RangeList } from '../transfer/ranges.ts';
import { StorageFullError, type Pin, type ReceiveStore } from '../transfer/store.ts';
import { since, span } from '../transfer/trace.ts';
import { chunkPlace, SMALL_FILE_BYTES, type ChunkPlace } from './chunk-places.ts';
import type { Chunk } from './chunk.ts';
import { hashKey, packKey, pinKey, rangesKey, received } from './layout.ts';
import { markedHash, markedPack, type PackPlace, type VerifiedMark } from './packs.ts';
import { storedBlob } from './stored-bytes.ts';

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
  const entries = await readEntries(id, files.length);
  const bytes = new BrowserBackend(id, files, place, entries.hashes.map(markedPack));
  return new ReceivedTransfer(files, storedState(entries, files), bytes);
}

/** Each file's entries (ranges, verified root, pin) as IndexedDB holds them, undefined where there is none. */
interface StoredEntries {
  ranges: unknown[];
  hashes: unknown[];
  pins: unknown[];
}

/** The entries of transfer `id`'s `count` files. */
function readEntries(id: string, count: number): Promise<StoredEntries> {
  return received()('readonly', async (store) => {
    // Only the entries that exist are read: a new transfer of 10,000 files has none,
    // and 30,000 reads that find nothing take seconds.
    const keys = await promisifyRequest(store.getAllKeys(IDBKeyRange.bound([id], [id, []])));
    const present = new Set(keys.map((key) => JSON.stringify(key)));
    const each = (key: typeof rangesKey) =>
      Promise.all(Array.from({ length: count }, (_, file) => (present.has(JSON.stringify(key(id, file))) ? promisifyRequest(store.get(key(id, file))) : undefined)));
    const [ranges, hashes, pins] = await Promise.all([each(rangesKey), each(hashKey), each(pinKey)]);
    return { ranges, hashes, pins };
  });
}

/** What the entries say is stored. A verified file with no ranges entry is whole. */
function storedState(entries: StoredEntries, files: readonly FileDescription[]): StoredState {
  const verified = entries.hashes.map(markedHash);
  return {
    ranges: entries.ranges.map((value, file) => parseRangeList(value) ?? (verified[file] ? whole(files[file]!.size) : [])),
    verified,
    pins: entries.pins.map((value) => (typeof value === 'string' ? value : null)),
  };
}

/** The browser's ReceiveStore: the one batched store over the browser's I/O, and what saving needs besides. */
class ReceivedTransfer extends BatchedStore implements StoredTransfer {
  readonly #bytes: BrowserBackend;

  constructor(files: readonly FileDescription[], state: StoredState, bytes: BrowserBackend) {
    super(files, state, bytes);
    this.#bytes = bytes;
  }

  async release(): Promise<void> {
    await this.flush();
    await this.#bytes.release();
  }

  async blob(file: number, type: string): Promise<Blob> {
    await this.flush();
    const blob = await this.#bytes.blob(file);
    return new Blob([blob], { type: type || 'application/octet-stream' });
  }
}

/** A batch's pack of small files, if it makes one, and where in it each file begins. */
interface Packed {
  pack: { number: number; bytes: Uint8Array } | null;
  places: Map<number, number>;
}

/**
 * The browser's I/O under the store: bytes where chunk-places.ts puts them, their ranges
 * in IndexedDB. Either way the ranges never claim bytes that are not there, whatever
 * moment the page dies at.
 */
class BrowserBackend implements StoreBackend {
  readonly #id: string;
  readonly #files: readonly FileDescription[];
  readonly #place: ChunkPlace;
  /** Where each file's bytes are packed, once a committed verified mark says so. */
  readonly #packed: (PackPlace | null)[];

  constructor(id: string, files: readonly FileDescription[], place: ChunkPlace, packed: (PackPlace | null)[]) {
    this.#id = id;
    this.#files = files;
    this.#place = place;
    this.#packed = packed;
  }

  async commit({ pieces, verified, ranges }: Batch): Promise<void> {
    const start = since();
    // Counted now: writing hands the buffers to the storage worker.
    const size = pieces.reduce((sum, piece) => sum + piece.bytes.length, 0);
    const chunks: Chunk[] = pieces.map((piece) => ({ ...piece, small: this.#files[piece.file]!.size <= SMALL_FILE_BYTES }));
    // The verified mark of a file stored whole says as much as its ranges would.
    const wholeNow = new Set(verified.map(({ file }) => file).filter((file) => storedWholeBy(ranges.get(file), this.#files[file]!.size)));
    const { pack, places, rest } = packSmall(chunks, wholeNow);
    await this.#place.write(this.#id, rest);
    await received()('readwrite', (store) => {
      try {
        this.#place.writeWithRanges(this.#id, rest, store);
        this.#putRanges(store, { pack, places }, ranges, verified, wholeNow);
      } catch (error) {
        // A put that throws (a value that cannot be stored) would leave the puts before
        // it to commit on their own: all of the batch, or none of it.
        store.transaction.abort();
        throw error;
      }
      return promisifyRequest(store.transaction);
    });
    for (const [file, at] of places) this.#packed[file] = { pack: pack!.number, at };
    span('commit', start, size);
  }

  /** Puts a batch's pack, ranges and verified marks in `store`, the transaction that stores its chunks. */
  #putRanges(store: IDBObjectStore, { pack, places }: Packed, ranges: Batch['ranges'], verified: readonly Pin[], wholeNow: ReadonlySet<number>): void {
    if (pack) store.put(pack.bytes, packKey(this.#id, pack.number));
    for (const [file, { after }] of ranges) if (!wholeNow.has(file)) store.put(after, rangesKey(this.#id, file));
    for (const { file, root } of verified) {
      const at = places.get(file);
      const mark: VerifiedMark = at === undefined ? root : { sha256: root, pack: pack!.number, at };
      store.put(mark, hashKey(this.#id, file));
    }
  }

  /** In a transaction of its own. */
  pin(pins: readonly Pin[]): Promise<void> {
    return received()('readwrite', (store) => {
      for (const { file, root } of pins) store.put(root, pinKey(this.#id, file));
      return promisifyRequest(store.transaction);
    });
  }

  /** File `file`, all of it committed, as a Blob. */
  async blob(file: number): Promise<Blob> {
    await this.#place.readable(this.#id, file);
    return storedBlob(this.#id, file, this.#files[file]!.size, this.#packed[file] ?? null);
  }

  release(): Promise<void> {
    return this.#place.release(this.#id);
  }

  failure(error: unknown): Error {
    return storageError(error);
  }
}

/**
 * The small files of a batch that are whole in it and verified with it, put together
 * in one pack numbered by its first file; `rest` is every other chunk.
 */
function packSmall(batch: readonly Chunk[], wholeNow: ReadonlySet<number>): Packed & { rest: Chunk[] } {
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

/** Whether a batch that made `change` (undefined: none) stored a file of `size` bytes whole, all of it in this batch. */
function storedWholeBy(change: RangeChange | undefined, size: number): boolean {
  if (size === 0) return change === undefined;
  const after = change?.after;
  return change?.before.length === 0 && after?.length === 1 && after[0]![0] === 0 && after[0]![1] === size;
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
  // The browser's DOMException is known by its standard name (the OPFS worker passes on only the name).
  if (error instanceof StorageFullError || (error as Error | null)?.name === 'QuotaExceededError') {
    return new StorageFullError('This device has no room left for the transfer. What was received is kept; free some space and try again.');
  }
  return error instanceof Error ? error : new Error(String(error));
}
