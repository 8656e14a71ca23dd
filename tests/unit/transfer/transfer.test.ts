/** Whole transfers between a SenderSession and a ReceiverSession over an in-memory channel: bytes, progress, small files, several receivers. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { FileTrees } from '../../../app/src/transfer/file-trees.ts';
import { DEFAULT_FLOW } from '../../../app/src/transfer/flow.ts';
import { MIN_MESSAGE_SIZE } from '../../../app/src/transfer/frames.ts';
import { memoryFile, randomFile, rootOf, sha256, wire } from '../support/transfer-harness.ts';
import { hostileReceiver, request } from './raw-peers.ts';

const MiB = 1024 * 1024;

describe('a transfer over a channel that models bufferedAmount', () => {
  it('delivers 0 B, 1 B, 1 MiB + 1 B and 9 MiB files byte for byte, verified', async () => {
    const files = [randomFile('empty', 0), randomFile('one', 1), randomFile('mib', MiB + 1), randomFile('big.bin', 9 * MiB)];
    const run = wire(files, { bytesPerTick: 512 * 1024 });
    const { sender, receiver } = await run.settled;

    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
    expect(receiver.outcomes).toEqual(['verified', 'verified', 'verified', 'verified']);
    for (const [i, file] of files.entries()) {
      expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes));
      expect(run.store().verified[i]).toBe(await rootOf(file.bytes));
    }
    expect(sender.sentBytes).toBe(files.reduce((sum, f) => sum + f.size, 0));
    expect(sender.filesConfirmed).toBe(4);
  });

  it('never lets bufferedAmount pass the high-water mark and never sends a message over maxMessageSize', async () => {
    const maxMessageSize = 64 * 1024;
    const files = [randomFile('a', 6 * MiB), randomFile('b', 3 * MiB + 17)];
    // A slow link and a window wider than the high-water mark: the sender must wait
    // on bufferedamountlow many times.
    const run = wire(files, { maxMessageSize, bytesPerTick: 128 * 1024, window: 16 * MiB });
    const { receiver } = await run.settled;

    expect(receiver.state).toBe('done');
    expect(run.senderChannel.peakBuffered).toBeLessThanOrEqual(DEFAULT_FLOW.highWater);
    // …and it did fill up to near the mark, so the wait really happened.
    expect(run.senderChannel.peakBuffered).toBeGreaterThan(DEFAULT_FLOW.highWater - maxMessageSize);
    // A block goes in as few frames as the link allows, of even size: each over half a message.
    expect(run.senderChannel.largestMessage).toBeLessThanOrEqual(maxMessageSize);
    expect(run.senderChannel.largestMessage).toBeGreaterThan(maxMessageSize / 2);
    expect(run.senderChannel.messagesSent).toBeLessThan(2 * (files[0]!.size + files[1]!.size) / maxMessageSize);
    expect(run.receiverChannel.largestMessage).toBeLessThanOrEqual(maxMessageSize);
  });

  it('moves 10,000 tiny files, with a manifest larger than one message', async () => {
    const files = Array.from({ length: 10_000 }, (_, i) => memoryFile(`dir/${i}.txt`, new TextEncoder().encode(String(i))));
    const run = wire(files);
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.outcomes.every((o) => o === 'verified')).toBe(true);
    expect(new TextDecoder().decode(run.store().bytes(9999))).toBe('9999');
  }, 30_000);

  it('reports progress that ends at the total', async () => {
    const files = [randomFile('a', 3 * MiB)];
    const run = wire(files, { bytesPerTick: 256 * 1024 });
    const { receiver } = await run.settled;
    expect(receiver.progress).toMatchObject({ bytes: 3 * MiB, total: 3 * MiB });
    const states = run.receiverSnapshots.map((s) => s.state);
    expect(states[0]).toBe('waiting');
    expect(states).toContain('transferring');
    expect(states.at(-1)).toBe('done');
  });

  it('reports the last bytes it stored even when nothing follows them for a while', async () => {
    const run = wire([randomFile('a', 8 * MiB)]);
    await run.senderChannel.holdAfter(3 * MiB);
    // The link stands still: what was last reported catches up with what is stored.
    const told = () => run.receiverSnapshots.at(-1)!.progress.bytes;
    const stored = () => run.receiver.snapshot.progress.bytes;
    // Stored a block at a time: all but the block the hold cut through.
    await expect.poll(() => stored()).toBeGreaterThanOrEqual(3 * MiB - BLOCK_SIZE);
    await expect.poll(() => told() === stored()).toBe(true);
    run.senderChannel.release();
    expect((await run.settled).receiver.state).toBe('done');
  });

  it('tells the receiver, with the list of files, how the sender describes its device, cleaned', async () => {
    const run = wire([randomFile('a', 10)], { senderDevice: 'Firefox 153 on Linux\u202E\n' });
    const { receiver } = await run.settled;
    expect(receiver.senderDevice).toBe('Firefox 153 on Linux');
    expect(run.receiverSnapshots.every((snapshot) => snapshot.senderDevice === null || snapshot.files.length > 0)).toBe(true);
  });

  it('waits for the receiver to choose Download', async () => {
    const run = wire([randomFile('a', 10)], { autoDownload: false });
    await expect.poll(() => run.receiver.snapshot.state).toBe('waiting');
    expect(run.receiver.snapshot.files.map((f) => f.name)).toEqual(['a']);
    await expect.poll(() => run.sender.snapshot.state).toBe('waiting');
    await run.receiver.download();
    expect((await run.settled).receiver.state).toBe('done');
  });
});

describe('several receivers of one share', () => {
  it('hash each file once, and the later ones get its root in the manifest and receive it intact', async () => {
    const reads = { count: 0 };
    const bytes = new Uint8Array(2 * MiB).map((_, i) => i % 251);
    const file = memoryFile('shared.bin', bytes, reads);
    const trees = new FileTrees();
    const first = wire([file], { trees });
    await first.settled;
    const readsForOne = reads.count;
    const second = wire([file], { trees });
    const { receiver } = await second.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.files[0]!.root).toBe(await rootOf(bytes));
    expect(sha256(second.store().bytes(0))).toBe(sha256(bytes));
    // What hashing the file alone reads: the second pass did not.
    const hashing = { count: 0 };
    await new FileTrees().of(memoryFile('shared.bin', bytes, hashing));
    expect(hashing.count).toBeGreaterThan(0);
    expect(reads.count - readsForOne).toBe(readsForOne - hashing.count);
  });
});

describe('small files', () => {
  it('sent whole give the share their roots from the bytes sent: none is read again to be hashed', async () => {
    const reads = { count: 0 };
    const contents = [new Uint8Array(1000).fill(1), new Uint8Array(0), new Uint8Array(3000).fill(2)];
    const files = contents.map((bytes, at) => memoryFile(`${at}.bin`, bytes, reads));
    const trees = new FileTrees();
    const { receiver } = await wire(files, { trees }).settled;
    expect(receiver.state).toBe('done');
    for (const [at, file] of files.entries()) expect(trees.root(file)).toBe(await rootOf(contents[at]!));
    await Promise.all(files.map((file) => trees.of(file)));
    // One read of each file with bytes, to send it; the empty one needs none.
    expect(reads.count).toBe(2);
  });

  it('go whole, several to a frame, each with its hash and no file-end, and one receipt confirms them all', async () => {
    const files = [randomFile('a.txt', 100), randomFile('empty', 0), randomFile('c.txt', 3000)];
    const { peer, ended } = await hostileReceiver(files);
    peer.send(request(files.map((file, i) => ({ file: i, start: 0, end: file.size }))));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    const sent = peer.received.filter((m) => m.type === 'files' || m.type === 'data' || m.type === 'file-end');
    const hash = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
    expect(sent).toEqual([{ type: 'files', files: files.map((file, i) => ({ file: i, hash: hash(file.bytes), payload: new Uint8Array(file.bytes) })) }]);
    // Nothing else about them: no root message, no block proof (the hash is the root's only leaf).
    expect(peer.received.some((m) => m.type === 'root' || m.type === 'block')).toBe(false);
    peer.send({ type: 'receipt', verified: [0, 1, 2], failed: [] });
    peer.send({ type: 'done' });
    const snapshot = await ended;
    expect(snapshot.state).toBe('done');
    expect(snapshot.filesConfirmed).toBe(3);
  });

  it('asked for from its end, as a file whose bytes are all stored, goes as its root and its file-end alone', async () => {
    const { peer, files } = await hostileReceiver([randomFile('a.txt', 1000)]);
    peer.send(request([{ file: 0, start: 1000, end: 1000 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'file-end')).toBe(true);
    expect(peer.received.filter((m) => m.type !== 'hello' && m.type !== 'manifest')).toEqual([
      { type: 'root', file: 0, root: await rootOf(files[0]!.bytes) },
      { type: 'file-end', file: 0 },
    ]);
  });

  it('fill frames no larger than the link allows, whatever their number', async () => {
    const maxMessageSize = MIN_MESSAGE_SIZE;
    const files = Array.from({ length: 300 }, (_, i) => randomFile(`${i}.bin`, 1 + ((i * 97) % 4000)));
    const run = wire(files, { maxMessageSize });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    files.forEach((file, i) => expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes)));
    expect(run.senderChannel.largestMessage).toBeLessThanOrEqual(maxMessageSize);
    // Several files to a frame: far fewer messages than files.
    expect(run.senderChannel.messagesSent).toBeLessThan(files.length / 2);
  });
});
