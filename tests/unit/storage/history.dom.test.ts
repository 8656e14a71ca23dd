/**
 * The history's storage against fake-indexeddb: sent shares are bounded to the
 * newest few (storage/sent.ts), and a received transfer stays listed, bytes and all,
 * after its files were saved (storage/transfers.ts).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SentFile } from '../../../app/src/session/sent-record.ts';
import { newTransfer } from '../../../app/src/session/transfer-record.ts';
import { deleteSent, listSent, recordSent, SENT_KEPT } from '../../../app/src/storage/sent.ts';
import { deleteTransfer, listTransfers, saveTransfer } from '../../../app/src/storage/transfers.ts';

const FILES: SentFile[] = [{ name: 'notes.txt', size: 12 }];
const SHARED = { files: FILES, text: null };
const receiver = { session: 's1', device: 'Chrome 131 on Android' };

describe('sent shares in IndexedDB', () => {
  it('keeps one record per share and only the newest few, deleting the oldest as new ones come', async () => {
    expect(SENT_KEPT).toBe(200);
    for (let at = 1; at <= 5; at++) await recordSent(`share${at}`, SHARED, { kind: 'finished', receiver }, at, 3);
    // Noting an existing share again makes no new record and loses none.
    await recordSent('share5', SHARED, { kind: 'ended', reason: 'stopped' }, 6, 3);
    const kept = await listSent();
    expect(kept.map((record) => record.id).sort()).toEqual(['share3', 'share4', 'share5']);
    expect(kept.find((record) => record.id === 'share5')).toMatchObject({ ended: 'stopped', receivers: [receiver], createdAt: 5, updatedAt: 6 });
    // An end found after a reload makes no record of its own.
    await recordSent('share6', SHARED, { kind: 'ended', reason: 'expired', onlyIfKept: true }, 7, 3);
    expect((await listSent()).length).toBe(3);
    for (const record of kept) await deleteSent(record);
    expect(await listSent()).toEqual([]);
  });
});

describe('received transfers in IndexedDB', () => {
  it('stay listed once saved, until deleted', async () => {
    const address = { peerId: 'peerAAAA1', secret: 'A'.repeat(22), senderKey: 'B'.repeat(43) };
    const record = { ...newTransfer('t1', address, [{ name: 'notes.txt', size: 12, type: '', lastModified: 0 }]), done: true, saved: true };
    await saveTransfer(record);
    expect((await listTransfers()).map(({ id, saved }) => ({ id, saved }))).toEqual([{ id: 't1', saved: true }]);
    await deleteTransfer(record);
    expect(await listTransfers()).toEqual([]);
  });
});
