/**
 * The share this browser is offering, kept in IndexedDB (idb-keyval) so that its link
 * keeps working after the sender's page reloads: the broker id, the secret, the key
 * that proves this browser is the sender, what the files were, and each file's SHA-256 once known, to recognise the same files when
 * they are added again.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { FileDescription } from '../transfer/messages.ts';
import type { GateSettings } from '../transfer/share-gate.ts';
import type { ShareLife } from '../transfer/share-life.ts';

/** ShareLife: its expiry, whether its link ended, and who has downloaded from it. */
export interface ShareRecord extends ShareLife {
  peerId: string;
  /** Proves to the broker that `peerId` is ours (absent in shares saved before it existed). */
  brokerToken?: string;
  secret: string;
  /** Signs our proof to receivers; never leaves this browser. */
  signingKey: string;
  /** Its public half, which the link carries. */
  senderKey: string;
  files: FileDescription[];
  hashes: (string | null)[];
  createdAt: number;
  /** Its password key and "ask me first", and who passed them (absent: an open share). */
  gate?: GateSettings;
}

const KEY = 'current';
let shareStore: UseStore | undefined;
function shares(): UseStore {
  return (shareStore ??= createStore('ferry-shares', 'shares'));
}

/** The saved share, if any. One from before shares had keys is gone: its link no longer opens. */
export async function loadShare(): Promise<ShareRecord | undefined> {
  const record = await get<ShareRecord>(KEY, shares());
  if (!record || record.signingKey !== undefined) return record;
  await forgetShare();
  return undefined;
}

export function saveShare(record: ShareRecord): Promise<void> {
  return set(KEY, record, shares());
}

export function forgetShare(): Promise<void> {
  return del(KEY, shares());
}
