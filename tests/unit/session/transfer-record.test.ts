import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderBook } from '../../../app/cli/folder-book.ts';
import { newTransfer, receiverKeyOf, type TransferRecord } from '../../../app/src/session/transfer-record.ts';
import { isReceiverKey, newReceiverKey } from '../../../app/src/transfer/auth.ts';
import { newLinkKeys } from '../support/transfer-harness.ts';

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

function record(): TransferRecord {
  const { secret, senderKey } = newLinkKeys();
  return newTransfer('t1', { peerId: 'sender0001', secret, senderKey }, [{ name: 'notes.txt', size: 12, type: '', lastModified: 0 }]);
}

describe('a transfer’s receiver key', () => {
  it('is made with the transfer, and each transfer has its own', () => {
    const [a, b] = [record(), record()];
    expect(isReceiverKey(a.receiverKey)).toBe(true);
    expect(a.receiverKey).not.toBe(b.receiverKey);
    expect(receiverKeyOf(a)).toBe(a.receiverKey);
  });

  it('is given, once, to a record from before receivers had keys, or whose key is damaged', () => {
    for (const damaged of [undefined, '', 'not base64url!', 'c2hvcnQ', 42]) {
      const old = { ...record(), receiverKey: damaged as string | undefined };
      const key = receiverKeyOf(old);
      expect(isReceiverKey(key)).toBe(true);
      expect(old.receiverKey).toBe(key);
      expect(receiverKeyOf(old)).toBe(key);
    }
  });

  it('is kept by the terminal’s book with the record, beside the files it receives', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ferry-transfer-record-'));
    folders.push(folder);
    const book = folderBook(folder);
    const saved = { ...record(), receiverKey: newReceiverKey() };
    await book.save(saved);
    const found = await book.find(saved.address);
    expect(found?.receiverKey).toBe(saved.receiverKey);
    expect(receiverKeyOf(found!)).toBe(saved.receiverKey);
  });
});
