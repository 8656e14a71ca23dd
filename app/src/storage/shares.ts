/**
 * The share this browser is offering, kept in IndexedDB (idb-keyval) so that its link
 * keeps working after the sender's page reloads: the broker id, the secret, what the
 * files were, and each file's SHA-256 once known, to recognise the same files when
 * they are added again.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { FileDescription } from '../transfer/messages.ts';

export interface ShareRecord {
  peerId: string;
  /** Proves to the broker that `peerId` is ours (absent in shares saved before it existed). */
  brokerToken?: string;
  secret: string;
  files: FileDescription[];
  hashes: (string | null)[];
  createdAt: number;
}

const KEY = 'current';
let shareStore: UseStore | undefined;
function shares(): UseStore {
  return (shareStore ??= createStore('ferry-shares', 'shares'));
}

export function loadShare(): Promise<ShareRecord | undefined> {
  return get<ShareRecord>(KEY, shares());
}

export function saveShare(record: ShareRecord): Promise<void> {
  return set(KEY, record, shares());
}

export function forgetShare(): Promise<void> {
  return del(KEY, shares());
}
