/**
 * Where received bytes live: the Origin Private File System where the browser offers
 * sync access handles (a worker writes there, off the main thread), IndexedDB
 * otherwise (insecure contexts, older browsers). See received-bytes.ts for the ranges
 * that say which bytes are stored; a place only holds them.
 */
import { promisifyRequest } from 'idb-keyval';
import type { Chunk } from './chunk.ts';
import { chunkKeys, received } from './layout.ts';
import { OpfsWriter } from './opfs-writer.ts';

export interface ChunkPlace {
  readonly kind: 'opfs' | 'indexeddb';
  /** Puts chunks in place before the ranges that count them are stored. May take their buffers. */
  write(id: string, batch: readonly Chunk[]): Promise<void>;
  /** Runs inside the transaction that stores the ranges. */
  writeWithRanges(id: string, batch: readonly Chunk[], store: IDBObjectStore): void;
  /** Lets a file be read (stored-bytes.ts), here or in the service worker: its write handle closed. */
  readable(id: string, file: number): Promise<void>;
  /** Deletes the bytes of one file, or of the whole transfer. */
  delete(id: string, file: number): Promise<void>;
  deleteAll(id: string): Promise<void>;
  /** Lets other readers (the service worker's downloads) open the transfer's stored files. */
  release(id: string): Promise<void>;
}

/**
 * Files up to this size are kept in IndexedDB even where OPFS is offered. Opening,
 * flushing and closing an OPFS file costs milliseconds, so 10,000 small files would
 * take minutes; IndexedDB commits thousands of them in one transaction. Chromium keeps
 * values up to 64 KiB inside its database and larger ones as files of their own.
 */
export const SMALL_FILE_BYTES = 64 * 1024;

/** A chunk as IndexedDB holds it: small ones inline, as bytes; larger ones as Blobs. */
export type StoredChunk = Blob | Uint8Array<ArrayBuffer>;

/** Chunks in IndexedDB, written in the transaction that stores their ranges. */
export const indexedDbChunks: ChunkPlace = {
  kind: 'indexeddb',
  write: async () => {},
  writeWithRanges(id, batch, store) {
    for (const { file, offset, bytes } of batch) {
      // A copy of just the bytes: the chunk may be a view into a larger frame.
      const value: StoredChunk = bytes.length <= SMALL_FILE_BYTES ? bytes.slice() : new Blob([bytes as Uint8Array<ArrayBuffer>]);
      store.put(value, [id, file, offset]);
    }
  },
  readable: async () => {},
  delete: (id, file) =>
    received()('readwrite', (store) => {
      store.delete(chunkKeys(id, file));
      return promisifyRequest(store.transaction);
    }),
  // deleteStoredTransfer removes every key of the transfer, chunks included.
  deleteAll: async () => {},
  release: async () => {},
};

/**
 * One file per received file in OPFS, written by a worker through sync access handles,
 * but for the chunks of small files (SMALL_FILE_BYTES), which stay in IndexedDB.
 */
function opfsChunks(writer: OpfsWriter): ChunkPlace {
  const small = (chunk: Chunk) => chunk.small === true;
  return {
    kind: 'opfs',
    write: async (id, batch) => {
      const large = batch.filter((chunk) => !small(chunk));
      if (large.length > 0) await writer.write(id, large);
    },
    writeWithRanges: (id, batch, store) => indexedDbChunks.writeWithRanges(id, batch.filter(small), store),
    readable: (id, file) => writer.close(id, file),
    async delete(id, file) {
      await writer.delete(id, file);
      await indexedDbChunks.delete(id, file);
    },
    deleteAll: (id) => writer.delete(id),
    release: (id) => writer.close(id),
  };
}

let place: Promise<ChunkPlace> | undefined;

/** The place this browser stores received bytes in, decided once per page. */
export function chunkPlace(): Promise<ChunkPlace> {
  return (place ??= OpfsWriter.start().then((writer) => (writer ? opfsChunks(writer) : indexedDbChunks)));
}
