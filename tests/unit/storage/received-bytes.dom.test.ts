/**
 * The receiver's record of stored bytes (storage/received-bytes.ts) over IndexedDB
 * chunks, against fake-indexeddb: what a reopened transfer finds after each kind of
 * commit.
 */
import 'fake-indexeddb/auto';
import { promisifyRequest } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { indexedDbChunks, type ChunkPlace } from '../../../app/src/storage/chunk-places.ts';
import { chunkKeys, hashKey, packKey, pinKey, rangesKey, received } from '../../../app/src/storage/layout.ts';
import { openStoredTransfer } from '../../../app/src/storage/received-bytes.ts';
import { COMMIT_BYTES } from '../../../app/src/transfer/batched-store.ts';
import { verifiedFiles } from '../../../app/src/storage/stored-file.ts';
import type { TransferRecord } from '../../../app/src/session/transfer-record.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';
import { StorageFullError } from '../../../app/src/transfer/store.ts';

const describeFile = (name: string, size: number): FileDescription => ({ name, size, type: '', lastModified: 0 });
const bytesOf = (length: number, seed: number) => new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
/** A block-tree root (transfer/block-tree.ts): what a file is verified and pinned with. */
const ROOT = 'a'.repeat(64);
const OTHER_ROOT = 'b'.repeat(64);

function record(key: IDBValidKey): Promise<unknown> {
  return received()('readonly', (store) => promisifyRequest(store.get(key)));
}

/** The bytes of verified `file`, as a transfer opened again hands them over for saving. */
async function stored(id: string, files: readonly FileDescription[], file: number): Promise<Uint8Array> {
  const transfer = await openStoredTransfer(id, files);
  return new Uint8Array(await (await transfer.blob(file, '')).arrayBuffer());
}

describe('received bytes, reopened', () => {
  it('a file stored and verified in one batch is whole and verified, with no ranges record of its own', async () => {
    const files = [describeFile('a.txt', 1000), describeFile('empty', 0)];
    const transfer = await openStoredTransfer('one-batch', files);
    await transfer.write(0, 0, bytesOf(1000, 1));
    await transfer.settle(0, ROOT);
    await transfer.settle(1, ROOT);
    await transfer.flush();

    expect(await record(rangesKey('one-batch', 0))).toBeUndefined();
    const again = await openStoredTransfer('one-batch', files);
    expect(again.ranges(0)).toEqual([[0, 1000]]);
    expect(again.isVerified(0)).toBe(true);
    expect(again.ranges(1)).toEqual([]);
    expect(again.isVerified(1)).toBe(true);
    expect(await stored('one-batch', files, 0)).toEqual(bytesOf(1000, 1));
  });

  it('a file whose bytes span batches keeps a ranges record that grows to the whole file', async () => {
    const size = COMMIT_BYTES + 10;
    const files = [describeFile('big.bin', size)];
    const transfer = await openStoredTransfer('two-batches', files);
    const bytes = bytesOf(size, 2);
    await transfer.write(0, 0, bytes.slice(0, COMMIT_BYTES));
    await transfer.flush();
    expect(await record(rangesKey('two-batches', 0))).toEqual([[0, COMMIT_BYTES]]);
    await transfer.write(0, COMMIT_BYTES, bytes.slice(COMMIT_BYTES));
    await transfer.settle(0, ROOT);
    await transfer.flush();

    expect(await record(rangesKey('two-batches', 0))).toEqual([[0, size]]);
    const again = await openStoredTransfer('two-batches', files);
    expect(again.ranges(0)).toEqual([[0, size]]);
    expect(again.isVerified(0)).toBe(true);
    expect(Buffer.from(await stored('two-batches', files, 0)).equals(bytes)).toBe(true);
  });

  it('bytes stored but not verified are counted, and the file is not taken as verified', async () => {
    const files = [describeFile('part.bin', 100)];
    const transfer = await openStoredTransfer('unverified', files);
    await transfer.write(0, 0, bytesOf(40, 3));
    await transfer.flush();

    const again = await openStoredTransfer('unverified', files);
    expect(again.ranges(0)).toEqual([[0, 40]]);
    expect(again.isVerified(0)).toBe(false);
    expect(await record(hashKey('unverified', 0))).toBeUndefined();
  });

  it('small files stored whole and verified together share one pack, and each reads back exactly', async () => {
    const files = Array.from({ length: 50 }, (_, i) => describeFile(`${i}.txt`, 1 + i * 13));
    const transfer = await openStoredTransfer('packed', files);
    for (const [file, { size }] of files.entries()) {
      await transfer.write(file, 0, bytesOf(size, file));
      await transfer.settle(file, ROOT);
    }
    await transfer.flush();

    expect(await record(packKey('packed', 0))).toBeInstanceOf(Uint8Array);
    expect(await received()('readonly', (store) => promisifyRequest(store.count(chunkKeys('packed', 7))))).toBe(0);
    const again = await openStoredTransfer('packed', files);
    for (const [file, { size }] of files.entries()) {
      expect(again.isVerified(file)).toBe(true);
      expect(again.ranges(file)).toEqual([[0, size]]);
      expect(await stored('packed', files, file)).toEqual(bytesOf(size, file));
    }
    // And as the service worker reads them, for a download or a ZIP.
    const transferRecord = { id: 'packed', files } as TransferRecord;
    for (const [file, stored] of (await verifiedFiles(transferRecord)).entries()) {
      expect(new Uint8Array(await new Response(await stored.open()).arrayBuffer())).toEqual(bytesOf(files[file]!.size, file));
    }
  });

  it('a small file that came in several chunks is packed whole, in order', async () => {
    const files = [describeFile('a.bin', 40_000), describeFile('b.txt', 5), describeFile('c.bin', 30_000)];
    const contents = files.map(({ size }, file) => bytesOf(size, file + 10));
    const transfer = await openStoredTransfer('pieces', files);
    for (const [file, bytes] of contents.entries()) {
      for (let at = 0; at < bytes.length; at += 16_384) await transfer.write(file, at, bytes.slice(at, at + 16_384));
      await transfer.settle(file, ROOT);
    }
    await transfer.flush();

    expect(await record(packKey('pieces', 0))).toBeInstanceOf(Uint8Array);
    for (const [file, bytes] of contents.entries()) expect(await stored('pieces', files, file)).toEqual(bytes);
  });

  it('a small file that is not verified with its bytes keeps chunks of its own', async () => {
    const files = [describeFile('a.txt', 10), describeFile('b.txt', 10)];
    const transfer = await openStoredTransfer('unpacked', files);
    await transfer.write(0, 0, bytesOf(10, 1));
    await transfer.write(1, 0, bytesOf(10, 2));
    await transfer.flush();
    await transfer.settle(0, ROOT);
    await transfer.settle(1, ROOT);
    await transfer.flush();

    expect(await record(packKey('unpacked', 0))).toBeUndefined();
    expect(await record(hashKey('unpacked', 0))).toBe(ROOT);
    expect(await stored('unpacked', files, 1)).toEqual(bytesOf(10, 2));
  });

  it('the root a sender announced is kept on its own, and a reopened transfer is held to it, or to the root a file was verified with', async () => {
    const files = [describeFile('a.bin', 100), describeFile('b.bin', 10), describeFile('c.bin', 10)];
    const transfer = await openStoredTransfer('pinned', files);
    await transfer.pin([{ file: 0, root: ROOT }]);
    expect(await record(pinKey('pinned', 0))).toBe(ROOT);
    await transfer.write(1, 0, bytesOf(10, 5));
    await transfer.settle(1, OTHER_ROOT);
    await transfer.flush();

    const again = await openStoredTransfer('pinned', files);
    expect([again.pinned(0), again.isVerified(0)]).toEqual([ROOT, false]);
    expect([again.pinned(1), again.isVerified(1)]).toEqual([OTHER_ROOT, true]);
    expect(again.pinned(2)).toBeNull();
  });
});

describe('received bytes, when storing fails', () => {
  const quota = () => Object.assign(new Error('quota'), { name: 'QuotaExceededError' });

  it('bytes the place could not write are never recorded, and the failure is a full disk at the next flush', async () => {
    const files = [describeFile('big.bin', 2 * COMMIT_BYTES)];
    const full: ChunkPlace = { ...indexedDbChunks, write: async () => Promise.reject(quota()) };
    const transfer = await openStoredTransfer('no-room', files, full);
    await transfer.write(0, 0, bytesOf(COMMIT_BYTES, 1));
    await expect(transfer.flush()).rejects.toBeInstanceOf(StorageFullError);
    await expect(transfer.write(0, COMMIT_BYTES, bytesOf(10, 1))).rejects.toBeInstanceOf(StorageFullError);

    const again = await openStoredTransfer('no-room', files);
    expect(again.ranges(0)).toEqual([]);
    expect(await record(rangesKey('no-room', 0))).toBeUndefined();
  });

  it('a batch whose commit fails part-way leaves none of it behind: bytes, ranges or verified marks', async () => {
    const files = [describeFile('a.txt', 100), describeFile('b.txt', 100)];
    // A put that throws inside the transaction that stores the batch, after its
    // chunks were put (as one of a value IndexedDB cannot store would).
    const broken: ChunkPlace = {
      ...indexedDbChunks,
      writeWithRanges: (id, batch, store) => {
        indexedDbChunks.writeWithRanges(id, batch, store);
        store.put(undefined, [id, 0, { not: 'a key' }] as never);
      },
    };
    const transfer = await openStoredTransfer('torn', files, broken);
    await transfer.write(0, 0, bytesOf(100, 1));
    await transfer.write(1, 0, bytesOf(100, 2));
    await transfer.settle(0, ROOT);
    await expect(transfer.flush()).rejects.toThrow();

    const again = await openStoredTransfer('torn', files);
    for (const file of [0, 1]) {
      expect(again.ranges(file)).toEqual([]);
      expect(again.isVerified(file)).toBe(false);
    }
    expect(await received()('readonly', (store) => promisifyRequest(store.count(chunkKeys('torn', 0))))).toBe(0);
  });
});
