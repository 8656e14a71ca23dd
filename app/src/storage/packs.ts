/**
 * Small files received whole and verified in the same batch are kept together: one
 * IndexedDB value (a pack) holds all their bytes, and each file's verified mark says
 * where in which pack its own bytes are. An IndexedDB put costs about the same whatever
 * its size (0.1–0.3 ms here), so a batch of 1,000 files of 1 KiB commits in one put
 * of bytes instead of a thousand.
 */
import { promisifyRequest } from 'idb-keyval';
import { packKey, received } from './layout.ts';

/** Where a packed file's bytes are: pack number (its first file's index) and offset. */
export interface PackPlace {
  pack: number;
  at: number;
}

/**
 * What [id, file, 'sha256'] holds: the verified root (a SHA-256 for files verified
 * before roots, which the key's and the field's names are from), and for a packed file
 * where its bytes are. A plain string is a file whose bytes are chunks of its own.
 */
export type VerifiedMark = string | ({ sha256: string } & PackPlace);

const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** The hash a stored verified mark carries, or null if there is none. */
export function markedHash(value: unknown): string | null {
  if (typeof value === 'string') return value;
  const sha256 = (value as { sha256?: unknown } | null)?.sha256;
  return typeof sha256 === 'string' ? sha256 : null;
}

/** Where a stored verified mark says the file's bytes are packed, or null if they are not. */
export function markedPack(value: unknown): PackPlace | null {
  if (typeof value !== 'object' || value === null) return null;
  const { pack, at } = value as Partial<PackPlace>;
  return isIndex(pack) && isIndex(at) ? { pack, at } : null;
}

/** The last pack read, so that reading a pack's files one after another reads it once. */
export interface PackCache {
  key: string;
  bytes: Promise<Uint8Array>;
}

/** A packed file's bytes, or null if its pack is missing or too short. */
export async function readPacked(id: string, place: PackPlace, size: number, cache?: { last?: PackCache }): Promise<Uint8Array | null> {
  const key = `${id}/${place.pack}`;
  let bytes = cache?.last?.key === key ? cache.last.bytes : undefined;
  if (!bytes) {
    bytes = received()('readonly', (store) => promisifyRequest(store.get(packKey(id, place.pack)) as IDBRequest<unknown>)).then((value) =>
      value instanceof Uint8Array ? value : new Uint8Array(),
    );
    if (cache) cache.last = { key, bytes };
  }
  const pack = await bytes;
  return place.at + size <= pack.length ? pack.subarray(place.at, place.at + size) : null;
}
