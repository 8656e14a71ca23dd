/**
 * A received file's bytes, read back the one way that both readers use: the page
 * (saving, hashing a file received in pieces) and the service worker (downloads and
 * ZIPs). They live in a pack of small files (packs.ts), in the file's own OPFS file,
 * or in IndexedDB chunks, which must tile the file exactly: a gap or a missing end is
 * an error, never a short file. The result is a Blob; its bytes stay on disk until
 * read (OPFS files and chunk Blobs), but for small files, which are held inline.
 */
import { promisifyRequest } from 'idb-keyval';
import type { StoredChunk } from './chunk-places.ts';
import { chunkKeys, OPFS_FOLDER, received } from './layout.ts';
import { readPacked, type PackCache, type PackPlace } from './packs.ts';

/** Thrown when a transfer or file is not there (any more), not verified, or not whole. */
export class NotStoredError extends Error {
  override name = 'NotStoredError';
}

/**
 * File `file` of transfer `id`, `size` bytes: from `pack` if its verified mark says it
 * is packed, else from its OPFS file, else from its IndexedDB chunks. Files read one
 * after another with the same `packs` read a pack they share once.
 */
export async function storedBlob(id: string, file: number, size: number, pack: PackPlace | null, packs?: { last?: PackCache }): Promise<Blob> {
  if (size === 0) return new Blob([]);
  if (pack) {
    const bytes = await readPacked(id, pack, size, packs);
    if (!bytes) throw new NotStoredError('Part of the stored file is missing.');
    return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  }
  const own = await opfsFile(id, file);
  if (own) {
    if (own.size < size) throw new NotStoredError('The stored file is shorter than it should be.');
    return own.slice(0, size);
  }
  return chunkBlob(id, file, size);
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

/** The IndexedDB chunks of one file, checked to tile it exactly. */
async function chunkBlob(id: string, file: number, size: number): Promise<Blob> {
  const [keys, chunks] = await received()('readonly', (store): Promise<[IDBValidKey[], StoredChunk[]]> =>
    Promise.all([promisifyRequest(store.getAllKeys(chunkKeys(id, file))), promisifyRequest(store.getAll(chunkKeys(id, file)) as IDBRequest<StoredChunk[]>)]),
  );
  let next = 0;
  for (const [at, chunk] of chunks.entries()) {
    if ((keys[at] as [string, number, number])[2] !== next) throw new NotStoredError('The stored file has a gap.');
    next += chunk instanceof Blob ? chunk.size : chunk.length;
  }
  if (next < size) throw new NotStoredError('Part of the stored file is missing.');
  return new Blob(chunks).slice(0, size);
}
