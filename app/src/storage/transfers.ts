/**
 * The list of transfers this browser has received or is receiving, in IndexedDB
 * through idb-keyval: which link, which files (with their SHA-256 once verified), and
 * how far along. Byte ranges live beside the bytes (received-bytes.ts), so they are
 * always exactly right; `stored` here is a summary for the list, updated as we go.
 */
import { del, get, set, values } from 'idb-keyval';
import { base64url } from '../transfer/link.ts';
import type { FileDescription } from '../transfer/messages.ts';
import { transferRecords } from './layout.ts';
import { deleteStoredTransfer } from './received-bytes.ts';

export interface TransferRecord {
  /**
   * Random. It names what is stored (download URLs, storage keys), so it never leaves
   * the device: the sender is told a digest of it (transfer/auth.ts sessionName).
   */
  id: string;
  senderId: string;
  secret: string;
  files: FileDescription[];
  /** Bytes stored and whether every file is verified, as of the last update. */
  stored: number;
  done: boolean;
  /** Every file was saved: the stored copy is removed the next time the list is read. */
  saved: boolean;
  total: number;
  createdAt: number;
  updatedAt: number;
}

/** Records are found by link, which only this browser ever pairs with the id. */
const linkKey = (senderId: string, secret: string) => `${senderId}/${secret}`;

export function findTransfer(senderId: string, secret: string): Promise<TransferRecord | undefined> {
  return get<TransferRecord>(linkKey(senderId, secret), transferRecords());
}

/** How long a saved transfer's bytes are kept: a streaming download may still be reading them. */
const SAVED_KEPT_MS = 60 * 60_000;

/**
 * Transfers still worth keeping, newest first. Those whose files were all saved are
 * left out, and deleted here once no download can still be reading them.
 */
export async function listTransfers(now = Date.now()): Promise<TransferRecord[]> {
  const all = await values<TransferRecord>(transferRecords());
  const stale = all.filter((record) => record.saved && now - record.updatedAt > SAVED_KEPT_MS);
  await Promise.all(stale.map(deleteTransfer));
  return all.filter((record) => !record.saved).sort((a, b) => b.updatedAt - a.updatedAt);
}

export function saveTransfer(record: TransferRecord): Promise<void> {
  return set(linkKey(record.senderId, record.secret), { ...record, updatedAt: Date.now() }, transferRecords());
}

export async function deleteTransfer(record: TransferRecord): Promise<void> {
  await deleteStoredTransfer(record.id);
  await del(linkKey(record.senderId, record.secret), transferRecords());
}

/** A fresh transfer id: random, base64url. */
export function newTransferId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(12)));
}

export function newTransfer(id: string, senderId: string, secret: string, files: FileDescription[]): TransferRecord {
  const now = Date.now();
  return {
    id,
    senderId,
    secret,
    files,
    stored: 0,
    done: false,
    saved: false,
    total: files.reduce((sum, file) => sum + file.size, 0),
    createdAt: now,
    updatedAt: now,
  };
}

/** Same files as last time? (A sender that reloaded may offer different ones.) */
export function sameFiles(a: readonly FileDescription[], b: readonly FileDescription[]): boolean {
  return a.length === b.length && a.every((file, i) => file.name === b[i]!.name && file.size === b[i]!.size && file.lastModified === b[i]!.lastModified);
}
