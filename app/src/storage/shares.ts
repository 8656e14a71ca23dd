/**
 * The share this browser is offering (session/share-record.ts), kept in
 * IndexedDB (idb-keyval) so that its link keeps working after the sender's page
 * reloads.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { ShareRecord } from '../session/share-record.ts';

const KEY = 'current';
let shareStore: UseStore | undefined;
function shares(): UseStore {
  return (shareStore ??= createStore('ferry-shares', 'shares'));
}

/** The saved share, if any. One from before shares had keys is gone: its link no longer opens. */
export async function loadShare(): Promise<ShareRecord | undefined> {
  const record = await get<ShareRecord>(KEY, shares());
  if (!record || record.signingKey !== undefined) return record;
  await deleteShare();
  return undefined;
}

export function saveShare(record: ShareRecord): Promise<void> {
  return set(KEY, record, shares());
}

export function deleteShare(): Promise<void> {
  return del(KEY, shares());
}
