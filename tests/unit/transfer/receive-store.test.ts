/** The receiver’s store: full, failing to commit, or slow. */
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { StorageFullError } from '../../../app/src/transfer/store.ts';
import { memoryStore } from '../support/memory-store.ts';
import { randomFile, sha256, wire } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;

describe('storage', () => {
  it('running out of room stops with a clear error and keeps what was stored', async () => {
    const file = randomFile('huge.iso', 8 * MiB);
    const store = memoryStore([file]);
    store.capacity = 5 * MiB;
    const run = wire([file], { store });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.failure).toEqual({ code: 'storage-full' });
    expect(receiver.error).toMatch(/no room left/);
    expect(store.ranges(0)[0]![1]).toBeGreaterThan(4 * MiB);
    expect(sender.state).toBe('error');
    expect(sender.failure).toMatchObject({ code: 'peer-stopped', by: 'receiver' });
    expect(sender.error).toMatch(/no room left/);
  });

  it('is not done until the store has committed everything, and says so when it cannot', async () => {
    const file = randomFile('last-batch.bin', 3 * MiB);
    const store = memoryStore([file]);
    store.failOnFlush = new StorageFullError('no room left to store the transfer');
    const run = wire([file], { store });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.error).toMatch(/no room left/);
    expect(run.receiverSnapshots.some((snapshot) => snapshot.state === 'done')).toBe(false);
    expect(sender.state).toBe('error');
  });

  it('is given each block whole, once, in one write: the blocks of a file, and a small file whole', async () => {
    const big = randomFile('big.bin', 3 * BLOCK_SIZE + 1000);
    const small = randomFile('small.txt', 700);
    const store = memoryStore([big, small]);
    const writes: string[] = [];
    const write = store.write.bind(store);
    store.write = async (file, offset, bytes) => {
      writes.push(`${file}@${offset}+${bytes.length}`);
      await write(file, offset, bytes);
    };
    const run = wire([big, small], { store });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(writes.sort()).toEqual([`0@0+${BLOCK_SIZE}`, `0@${BLOCK_SIZE}+${BLOCK_SIZE}`, `0@${2 * BLOCK_SIZE}+${BLOCK_SIZE}`, `0@${3 * BLOCK_SIZE}+1000`, '1@0+700'].sort());
    expect(sha256(store.bytes(0))).toBe(sha256(big.bytes));
    expect(sha256(store.bytes(1))).toBe(sha256(small.bytes));
  });

  it('a slow store holds the sender back to one window ahead, and the blocks at its edges', async () => {
    const file = randomFile('slow.bin', 12 * MiB);
    const store = memoryStore([file]);
    const write = store.write.bind(store);
    let ahead = 0;
    const run = wire([file], { store, window: 2 * MiB });
    store.write = async (f, offset, bytes) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      // Just before a write lands the store is furthest behind: measured here, not by a timer's sampling.
      ahead = Math.max(ahead, run.sender.snapshot.sentBytes - store.written);
      await write(f, offset, bytes);
    };
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(ahead).toBeGreaterThan(0);
    // What was asked and has not arrived is at most the window and the block that runs
    // over it (ask-window.ts); what arrived and is not stored, at most the block being
    // checked and written, as a block is stored only once all of it has come.
    expect(ahead).toBeLessThanOrEqual(2 * MiB + 2 * BLOCK_SIZE);
  });
});
