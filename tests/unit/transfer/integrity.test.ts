/**
 * Damaged bytes on the way: caught block by block against the hash the sender proved,
 * the damaged block alone fetched again, given up on with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { damageData, randomFile, rootOf, sha256, wire } from '../support/transfer-harness.ts';

const FILES = 0x11;

/** Three whole blocks and a short last one. */
const SIZE = 3 * BLOCK_SIZE + 1000;

describe('a damaged block', () => {
  it('is fetched again alone, and the file is stored whole and verified', async () => {
    const file = randomFile('photo.jpg', SIZE);
    const damage = damageData(BLOCK_SIZE);
    const run = wire([file], { tamper: damage.tamper });
    const { sender, receiver } = await run.settled;
    expect(damage.damaged()).toBe(1);
    expect(run.receiverSnapshots.some((s) => s.outcomes[0] === 'failed')).toBe(true);
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'] });
    // The whole file once, then block 1 by itself.
    expect(run.requests.flatMap((request) => request.ranges)).toEqual([
      { file: 0, start: 0, end: SIZE },
      { file: 0, start: BLOCK_SIZE, end: 2 * BLOCK_SIZE },
    ]);
    expect(sender.sentBytes - SIZE).toBe(BLOCK_SIZE);
    expect(sha256(run.store().bytes(0))).toBe(sha256(file.bytes));
    expect(run.store().verified[0]).toBe(await rootOf(file.bytes));
    // Nothing damaged was ever written: each block once, the refetched one included.
    expect(run.store().written).toBe(SIZE);
  });

  it('twice fails the transfer as an integrity failure, and keeps every block that matched', async () => {
    const file = randomFile('photo.jpg', SIZE);
    const damage = damageData(BLOCK_SIZE, Infinity);
    const run = wire([file], { tamper: damage.tamper });
    const { sender, receiver } = await run.settled;
    expect(damage.damaged()).toBe(2);
    expect(receiver.state).toBe('error');
    expect(receiver.failure).toEqual({ code: 'integrity', file: 'photo.jpg' });
    expect(receiver.error).toMatch(/photo\.jpg failed verification/);
    const store = run.store();
    expect(store.verified[0]).toBeNull();
    // Blocks 0, 2 and 3 matched and stay, for the next attempt to build on; block 1 was never stored.
    expect(store.ranges(0)).toEqual([
      [0, BLOCK_SIZE],
      [2 * BLOCK_SIZE, SIZE],
    ]);
    expect(sha256(store.bytes(0).subarray(0, BLOCK_SIZE))).toBe(sha256(file.bytes.subarray(0, BLOCK_SIZE)));
    expect(sha256(store.bytes(0).subarray(2 * BLOCK_SIZE))).toBe(sha256(file.bytes.subarray(2 * BLOCK_SIZE)));
    expect(sender.state).toBe('error');
  });
});

describe('a damaged file sent whole', () => {
  it('is caught, none of it stored, and fetched again', async () => {
    const files = [randomFile('a.txt', 1000), randomFile('b.txt', 1000), randomFile('c.txt', 1000)];
    let flipped = 0;
    // The last byte of the first FILES frame is c.txt's last byte.
    const tamper = (frame: Uint8Array) => {
      if (flipped > 0 || frame[0] !== FILES) return frame;
      flipped += 1;
      const copy = frame.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    const run = wire(files, { tamper });
    const { sender, receiver } = await run.settled;
    expect(flipped).toBe(1);
    expect(run.receiverSnapshots.some((s) => s.outcomes[2] === 'failed')).toBe(true);
    expect(receiver.state).toBe('done');
    files.forEach((file, i) => expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes)));
    expect(run.store().written).toBe(3000);
    expect(run.requests.at(-1)!.ranges).toEqual([{ file: 2, start: 0, end: 1000 }]);
    expect(sender.sentBytes).toBe(4000);
    expect(sender.filesConfirmed).toBe(3);
  });

  it('twice fails the transfer as an integrity failure, keeping the files that matched', async () => {
    const files = [randomFile('a.txt', 1000), randomFile('b.txt', 1000)];
    // b.txt is the last file of every FILES frame it is in: its last byte is the frame's.
    const tamper = (frame: Uint8Array) => {
      if (frame[0] !== FILES) return frame;
      const copy = frame.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    const run = wire(files, { tamper });
    const { receiver } = await run.settled;
    expect(receiver.failure).toEqual({ code: 'integrity', file: 'b.txt' });
    expect(run.store().verified).toEqual([await rootOf(files[0]!.bytes), null]);
    expect(run.store().ranges(1)).toEqual([]);
  });
});
