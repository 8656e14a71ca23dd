/**
 * Where Ferry keeps what it receives — store names, keys and folders — in one place,
 * because two programs read it: the page, which writes it, and the service worker,
 * which streams verified files out of it as downloads.
 *
 * IndexedDB 'ferry-received'/'bytes' holds, per transfer id and file index, the stored
 * byte ranges ([id, file, 'ranges']), the verified root ([id, file, 'sha256'], named
 * when files were verified by their SHA-256), the root the sender first announced
 * ([id, file, 'pin']) and, where there is no OPFS or
 * the file is small (chunk-places.ts), the bytes themselves, one value per chunk
 * ([id, file, offset]): the bytes inline up to 64 KiB, a Blob above. Small files
 * received whole and verified together share one value, a pack ([id, 'pack', n],
 * packs.ts), and their verified marks say where in it they are.
 * With OPFS the bytes of a larger file are the file OPFS_FOLDER/<id>/<file>.
 * IndexedDB 'ferry'/'transfers' holds the list of transfers (storage/transfers.ts).
 */
import { createStore, type UseStore } from 'idb-keyval';

export const OPFS_FOLDER = 'received';

let bytesStore: UseStore | undefined;
/** The IndexedDB store for ranges, hashes and (without OPFS) chunks; created on first use. */
export function received(): UseStore {
  return (bytesStore ??= createStore('ferry-received', 'bytes'));
}

let recordStore: UseStore | undefined;
/** The IndexedDB store of transfer records, keyed by link. */
export function transferRecords(): UseStore {
  return (recordStore ??= createStore('ferry', 'transfers'));
}

export const rangesKey = (id: string, file: number) => [id, file, 'ranges'];
export const hashKey = (id: string, file: number) => [id, file, 'sha256'];
export const pinKey = (id: string, file: number) => [id, file, 'pin'];
/** A pack of small files, numbered by its first file. */
export const packKey = (id: string, pack: number) => [id, 'pack', pack];
/** Every chunk of one file, in offset order. */
export const chunkKeys = (id: string, file: number, from = 0) => IDBKeyRange.bound([id, file, from], [id, file, Infinity]);
