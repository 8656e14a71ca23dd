/**
 * The receiver's side of the block tree, over a whole transfer: blocks gathered from
 * however many frames, checked, and stored whole in one write each; ranges asked for
 * in whole blocks; a damaged block fetched again wherever it lies in its file.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { MIN_MESSAGE_SIZE } from '../../../app/src/transfer/frames.ts';
import { memoryStore } from '../support/memory-store.ts';
import { damageData, randomFile, rootOf, sha256, wire } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;

describe('blocks', () => {
  it('are gathered from many small frames and stored in one write each, once checked', async () => {
    const file = randomFile('a.bin', 3 * BLOCK_SIZE + 1000);
    const store = memoryStore([file]);
    const writes: [number, number][] = [];
    const write = store.write.bind(store);
    store.write = async (index, offset, bytes) => (writes.push([offset, bytes.length]), write(index, offset, bytes));
    const run = wire([file], { store, maxMessageSize: MIN_MESSAGE_SIZE });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    // Each block came in many frames…
    expect(run.senderChannel.messagesSent).toBeGreaterThan(3 * (BLOCK_SIZE / MIN_MESSAGE_SIZE));
    // …and went to the store whole, in order, once.
    expect(writes).toEqual([
      [0, BLOCK_SIZE],
      [BLOCK_SIZE, BLOCK_SIZE],
      [2 * BLOCK_SIZE, BLOCK_SIZE],
      [3 * BLOCK_SIZE, 1000],
    ]);
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    expect(store.verified[0]).toBe(await rootOf(file.bytes));
  });

  it('are asked for whole, window after window, each exactly once', async () => {
    const file = randomFile('a.bin', 5 * MiB + 1000);
    // A window that is no whole number of blocks: each cut falls on a block boundary all the same.
    const window = MiB + 12_345;
    const run = wire([file], { window, bytesPerTick: 256 * 1024 });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    const ranges = run.requests.flatMap((request) => request.ranges);
    expect(run.requests.length).toBeGreaterThan(2);
    for (const { start, end } of ranges) {
      expect(start % BLOCK_SIZE).toBe(0);
      if (end !== file.size) expect(end % BLOCK_SIZE).toBe(0);
    }
    // One after another, from the first byte to the last, never the same block twice.
    ranges.forEach((range, at) => expect(range.start).toBe(at === 0 ? 0 : ranges[at - 1]!.end));
    expect(ranges.at(-1)!.end).toBe(file.size);
  });

  it.each([
    ['first', 0],
    ['last, short one', 3],
  ])('damaged, the %s block of a file is fetched again alone, and the file verified once', async (_, index) => {
    const file = randomFile('a.bin', 3 * BLOCK_SIZE + 1000);
    const start = index * BLOCK_SIZE;
    const end = Math.min(file.size, start + BLOCK_SIZE);
    const damage = damageData(start);
    const store = memoryStore([file]);
    const settled: number[] = [];
    const settle = store.settle.bind(store);
    store.settle = async (index, root) => (settled.push(index), settle(index, root));
    const run = wire([file], { store, tamper: damage.tamper });
    const { sender, receiver } = await run.settled;
    expect(damage.damaged()).toBe(1);
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'] });
    expect(sender).toMatchObject({ state: 'done', filesConfirmed: 1 });
    expect(run.requests.flatMap((request) => request.ranges)).toEqual([
      { file: 0, start: 0, end: file.size },
      { file: 0, start, end },
    ]);
    expect(sender.sentBytes).toBe(file.size + end - start);
    expect(settled).toEqual([0]);
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
  });
});
