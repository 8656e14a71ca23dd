/**
 * What this browser sent (session/sent-record.ts), for the home page's history: in
 * IndexedDB through idb-keyval, in a database of its own, one value per share keyed
 * by its broker id. Names and sizes only, never the files (a shared text is kept: it is
 * short, and was typed to be shown); and only the newest
 * SENT_KEPT shares, so the list cannot grow without end.
 */
import { createStore, del, delMany, get, set, values, type UseStore } from 'idb-keyval';
import { noteSent, overflow, type SentEvent, type SentRecord, type SentShare } from '../session/sent-record.ts';

/** How many sent shares are remembered; the oldest beyond go. */
export const SENT_KEPT = 200;

let sentStore: UseStore | undefined;
function sent(): UseStore {
  return (sentStore ??= createStore('ferry-sent', 'sent'));
}

/**
 * Notes `event` in share `id`'s record, making it if the event calls for one, and
 * lets the oldest records beyond `limit` go. Not atomic across tabs: only one tab
 * offers a share at a time.
 */
export async function recordSent(id: string, shared: SentShare, event: SentEvent, now = Date.now(), limit = SENT_KEPT): Promise<void> {
  const before = await get<SentRecord>(id, sent());
  const after = noteSent(before, id, shared, event, now);
  if (!after || after === before) return;
  await set(id, after, sent());
  if (before) return; // one more only when a record is new
  const extra = overflow(await values<SentRecord>(sent()), limit);
  if (extra.length > 0) await delMany(extra.map((record) => record.id), sent());
}

/** Every sent share remembered, in no particular order. */
export function listSent(): Promise<SentRecord[]> {
  return values<SentRecord>(sent());
}

export function deleteSent(record: SentRecord): Promise<void> {
  return del(record.id, sent());
}
