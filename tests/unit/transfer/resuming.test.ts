/** Picking a transfer up again: only the missing blocks, gaps filled, verified files left alone. */
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { memoryStore } from '../support/memory-store.ts';
import { randomFile, rootOf, sha256, wire } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;

describe('resuming', () => {
  it('after a dropped connection asks only for what is missing and wastes at most a window', async () => {
    const file = randomFile('movie.mp4', 20 * MiB);
    const first = wire([file], { cutAfterBytes: 10 * MiB, bytesPerTick: 512 * 1024 });
    const cut = await first.settled;
    expect(cut.receiver.state).toBe('error');
    const store = first.store();
    const kept = store.ranges(0);
    expect(kept.length).toBe(1);
    expect(kept[0]![1]).toBeGreaterThan(5 * MiB);
    // Only whole blocks were stored: the one the cut went through is not.
    expect(kept[0]![1] % BLOCK_SIZE).toBe(0);

    const second = wire([file], { store });
    const { sender, receiver } = await second.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.resumedAt).toBeCloseTo(kept[0]![1] / file.size, 5);
    // The first request picks up exactly where the stored bytes end.
    expect(second.requests[0]).toMatchObject({ ranges: [{ file: 0, start: kept[0]![1] }] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    const sent = cut.sender.sentBytes + sender.sentBytes;
    expect(sent).toBeLessThanOrEqual(file.size + 4 * MiB);
  });

  it('fills the gaps of a store with holes in whole blocks, and verifies the file without reading it back', async () => {
    const file = randomFile('holes.bin', 3 * MiB);
    const store = memoryStore([file]);
    // A block stored in part (from an older store) is asked for again whole.
    await store.write(0, 0, file.bytes.slice(0, MiB + 100));
    await store.write(0, 2 * MiB, file.bytes.slice(2 * MiB, 2.5 * MiB));
    const run = wire([file], { store });
    const { sender, receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'] });
    expect(run.requests.flatMap((request) => request.ranges)).toEqual([
      { file: 0, start: MiB, end: 2 * MiB },
      { file: 0, start: 2.5 * MiB, end: 3 * MiB },
    ]);
    expect(sender.sentBytes).toBe(1.5 * MiB);
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    expect(store.verified[0]).toBe(await rootOf(file.bytes));
  });

  it('verifies a file whose every block is stored but whose end never came, without a byte sent', async () => {
    const file = randomFile('movie.mp4', 2 * BLOCK_SIZE + 1000);
    const store = memoryStore([file]);
    await store.write(0, 0, file.bytes.slice());
    const run = wire([file], { store });
    const { sender, receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'] });
    // Just its end, which brings its root: the blocks stored were each checked as they came.
    expect(run.requests.flatMap((request) => request.ranges)).toEqual([{ file: 0, start: file.size, end: file.size }]);
    expect(sender.sentBytes).toBe(0);
    expect(store.verified[0]).toBe(await rootOf(file.bytes));
  });

  it('does not fetch a verified file again', async () => {
    const files = [randomFile('a', MiB), randomFile('b', MiB)];
    const store = memoryStore(files);
    await store.write(0, 0, files[0]!.bytes);
    await store.settle(0, await rootOf(files[0]!.bytes));
    const run = wire(files, { store });
    const { sender, receiver } = await run.settled;
    expect(receiver.outcomes).toEqual(['verified', 'verified']);
    expect(run.requests.flatMap((request) => request.ranges)).toEqual([{ file: 1, start: 0, end: MiB }]);
    expect(sender.sentBytes).toBe(MiB);
  });
});
