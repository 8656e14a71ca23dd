/**
 * The list of transfers this browser has received or is receiving, in IndexedDB
 * through idb-keyval: which link, which files (with their SHA-256 once verified), how
 * far along, and the private key the receiver proves itself with to the sender. Byte
 * ranges live beside the bytes (received-bytes.ts), so they are always exactly right;
 * `stored` here is a summary for the list, updated as we go.
 */
import { del, entries, get, set } from 'idb-keyval';
import type { TransferRecord } from '../session/transfer-record.ts';
import type { ShareAddress } from '../transfer/link.ts';
import { transferRecords } from './layout.ts';
import { deleteStoredTransfer } from './received-bytes.ts';

/** Records are found by link, which only this browser ever pairs with the id. */
const linkKey = ({ peerId, secret, senderKey }: ShareAddress) => `${peerId}/${secret}/${senderKey}`;

export function findTransfer(address: ShareAddress): Promise<TransferRecord | undefined> {
  return get<TransferRecord>(linkKey(address), transferRecords());
}

/**
 * Every transfer kept, newest first. Saving its files does not remove one: the
 * history keeps it, bytes and all, so it opens and saves again, until the person
 * deletes it.
 */
export async function listTransfers(): Promise<TransferRecord[]> {
  const all = await entries<IDBValidKey, TransferRecord>(transferRecords());
  // Transfers by links from before senders had keys: those links no longer open, so
  // these could never be resumed or reopened.
  const unreachable = all.filter(([, record]) => record.address === undefined);
  await Promise.all(unreachable.map(([key, record]) => deleteRecord(record, key)));
  const kept = all.flatMap(([, record]) => (record.address === undefined ? [] : [record]));
  return kept.sort((a, b) => b.createdAt - a.createdAt);
}

export function saveTransfer(record: TransferRecord): Promise<void> {
  return set(linkKey(record.address), { ...record, updatedAt: Date.now() }, transferRecords());
}

export function deleteTransfer(record: TransferRecord): Promise<void> {
  return deleteRecord(record, linkKey(record.address));
}

async function deleteRecord(record: TransferRecord, key: IDBValidKey): Promise<void> {
  await deleteStoredTransfer(record.id);
  await del(key, transferRecords());
}
