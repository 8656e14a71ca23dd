/**
 * Where received bytes live: the Origin Private File System where the browser offers
 * sync access handles (a worker writes there, off the main thread), IndexedDB
 * otherwise (insecure contexts, older browsers). See received-bytes.ts for the record
 * that says which bytes are stored; a place only holds them.
 */
import { promisifyRequest } from 'idb-keyval';
import type { RangeList } from '../transfer/ranges.ts';
import { chunkKeys, received } from './layout.ts';
import { OpfsWriter } from './opfs-writer.ts';

export interface Chunk {
  file: number;
  offset: number;
  bytes: Uint8Array;
}

export interface ChunkPlace {
  readonly kind: 'opfs' | 'indexeddb';
  /** Puts chunks in place before the ranges that count them are recorded. May take their buffers. */
  write(id: string, batch: readonly Chunk[]): Promise<void>;
  /** Runs inside the transaction that records the ranges. */
  record(id: string, batch: readonly Chunk[], store: IDBObjectStore): void;
  /** A complete file as a disk-backed Blob. */
  read(id: string, file: number, ranges: RangeList): Promise<Blob>;
  drop(id: string, file: number): Promise<void>;
  dropAll(id: string): Promise<void>;
  /** Lets other readers (the service worker's downloads) open the transfer's stored files. */
  release(id: string): Promise<void>;
}

/** Chunks as Blobs in IndexedDB, written in the transaction that records them. */
const indexedDbChunks: ChunkPlace = {
  kind: 'indexeddb',
  write: async () => {},
  record(id, batch, store) {
    for (const { file, offset, bytes } of batch) store.put(new Blob([bytes as Uint8Array<ArrayBuffer>]), [id, file, offset]);
  },
  async read(id, file) {
    const chunks = await received()('readonly', (store) => promisifyRequest(store.getAll(chunkKeys(id, file)) as IDBRequest<Blob[]>));
    return new Blob(chunks);
  },
  drop: (id, file) =>
    received()('readwrite', (store) => {
      store.delete(chunkKeys(id, file));
      return promisifyRequest(store.transaction);
    }),
  // deleteStoredTransfer removes every key of the transfer, chunks included.
  dropAll: async () => {},
  release: async () => {},
};

/** One file per received file in OPFS, written by a worker through sync access handles. */
function opfsChunks(writer: OpfsWriter): ChunkPlace {
  return {
    kind: 'opfs',
    write: (id, batch) => writer.write(id, batch),
    record: () => {},
    async read(id, file, ranges) {
      const stored = await writer.file(id, file);
      const size = ranges.at(-1)?.[1] ?? 0;
      return stored ?? new Blob([new Uint8Array(size)]);
    },
    drop: (id, file) => writer.remove(id, file),
    dropAll: (id) => writer.remove(id),
    release: (id) => writer.close(id),
  };
}

let place: Promise<ChunkPlace> | undefined;

/** The place this browser stores received bytes in, decided once per page. */
export function chunkPlace(): Promise<ChunkPlace> {
  return (place ??= OpfsWriter.start().then((writer) => (writer ? opfsChunks(writer) : indexedDbChunks)));
}
