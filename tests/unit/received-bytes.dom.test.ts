/**
 * The receiver's record of stored bytes (storage/received-bytes.ts) over IndexedDB
 * chunks, against fake-indexeddb: what a reopened transfer finds after each kind of
 * commit.
 */
import 'fake-indexeddb/auto';
import { promisifyRequest } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { hashKey, rangesKey, received } from '../../app/src/storage/layout.ts';
import { COMMIT_BYTES, openStoredTransfer } from '../../app/src/storage/received-bytes.ts';
import type { FileDescription } from '../../app/src/transfer/messages.ts';

const describeFile = (name: string, size: number): FileDescription => ({ name, size, type: '', lastModified: 0 });
const bytesOf = (length: number, seed: number) => new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
const SHA = 'a'.repeat(64);

function record(key: IDBValidKey): Promise<unknown> {
  return received()('readonly', (store) => promisifyRequest(store.get(key)));
}

async function stored(id: string, files: readonly FileDescription[], file: number): Promise<Uint8Array> {
  const transfer = await openStoredTransfer(id, files);
  const parts: Uint8Array[] = [];
  for await (const chunk of transfer.read(file)) parts.push(chunk);
  return new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

describe('received bytes, reopened', () => {
  it('a file stored and verified in one batch is whole and verified, with no ranges record of its own', async () => {
    const files = [describeFile('a.txt', 1000), describeFile('empty', 0)];
    const transfer = await openStoredTransfer('one-batch', files);
    await transfer.write(0, 0, bytesOf(1000, 1));
    await transfer.settle(0, SHA);
    await transfer.settle(1, SHA);
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
    await transfer.settle(0, SHA);
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

  it('a file that failed verification is forgotten, bytes and record', async () => {
    const files = [describeFile('bad.bin', 100)];
    const transfer = await openStoredTransfer('failed', files);
    await transfer.write(0, 0, bytesOf(100, 4));
    await transfer.settle(0, null);
    await transfer.flush();

    const again = await openStoredTransfer('failed', files);
    expect(again.ranges(0)).toEqual([]);
    expect(again.isVerified(0)).toBe(false);
    expect(await record(rangesKey('failed', 0))).toBeUndefined();
    expect(await stored('failed', files, 0)).toEqual(new Uint8Array());
  });
});
