/** A sender facing a receiver that asks for what does not exist, confirms what it was not sent, or says it is done too soon. */
import { createHash } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, verifyBlock } from '../../../app/src/transfer/block-tree.ts';
import { Delivery } from '../../../app/src/transfer/delivery.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { failureText } from '../../../app/src/ui/i18n/errors.ts';
import { randomFile, rootOf, sha256, wire } from '../support/transfer-harness.ts';
import { hostileReceiver, request } from './raw-peers.ts';
import { MAX_LANES } from '../../../app/src/transfer/lanes.ts';
import { fakeLanes } from '../support/fake-lanes.ts';

const MiB = 1024 * 1024;

describe('a sender facing a hostile receiver', () => {
  it('refuses a request for a file that does not exist', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 9, start: 0, end: 1 }]));
    const snapshot = await ended;
    expect(snapshot.error).toMatch(/file 9, which does not exist/);
    await expect.poll(() => peer.received.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/does not exist/) });
  });

  it('refuses an offset past the end', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 0, start: 0, end: 1001 }]));
    expect((await ended).error).toMatch(/up to 1001, past its end/);
  });

  it('serves a range that starts at a block mid-file: the file’s root first, then each block’s proof before its bytes', async () => {
    const { peer, files } = await hostileReceiver([randomFile('a.bin', 2 * BLOCK_SIZE + 1000)]);
    const [file] = files as [FileSource & { bytes: Uint8Array }];
    peer.send(request([{ file: 0, start: BLOCK_SIZE, end: file.size }]));
    await expect.poll(() => peer.received.at(-1)?.type).toBe('file-end');
    const served = peer.received.slice(peer.received.findIndex((m) => m.type === 'root'));
    // The manifest went without the root (the sender had not hashed the file yet): it comes before any block.
    expect(served[0]).toEqual({ type: 'root', file: 0, root: await rootOf(file.bytes) });
    expect(served.map((m) => m.type)).toEqual(['root', 'block', 'data', 'data', 'block', 'data', 'file-end']);
    const root = hexToBytes(await rootOf(file.bytes));
    for (const block of served.filter((m) => m.type === 'block')) {
      const bytes = file.bytes.subarray(block.index * BLOCK_SIZE, (block.index + 1) * BLOCK_SIZE);
      expect(block.hash).toEqual(new Uint8Array(createHash('sha256').update(bytes).digest()));
      expect(await verifyBlock(root, 3, block.index, block.hash, block.proof)).toBe(true);
    }
    expect(served.filter((m) => m.type === 'block').map((m) => m.index)).toEqual([1, 2]);
    const chunks = served.filter((m) => m.type === 'data');
    expect(chunks[0]).toMatchObject({ offset: BLOCK_SIZE });
    expect(sha256(Buffer.concat(chunks.map((c) => c.payload)))).toBe(sha256(file.bytes.subarray(BLOCK_SIZE)));
    expect(served.at(-1)).toEqual({ type: 'file-end', file: 0 });
  });

  it.each([
    ['starts inside a block', { start: 600, end: 1000 }],
    ['ends inside a block, short of the file’s end', { start: 0, end: BLOCK_SIZE + 1 }],
  ])('refuses a range that %s: blocks are sent whole or not at all', async (_, range) => {
    const { peer, ended } = await hostileReceiver([randomFile('a.bin', 2 * BLOCK_SIZE)]);
    peer.send(request([{ file: 0, ...range }]));
    expect((await ended).error).toMatch(/not whole blocks/);
    expect(peer.received.some((m) => m.type === 'data' || m.type === 'block')).toBe(false);
  });

  it('names the receiver as the author of its error, so its words do not read as the sender’s own', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'error', message: 'This device has no room left for the transfer.' });
    const snapshot = await ended;
    expect(snapshot.error).toBe('The receiver stopped the transfer: This device has no room left for the transfer.');
    expect(snapshot.failure).toEqual({ code: 'peer-stopped', by: 'receiver', words: 'This device has no room left for the transfer.' });
    expect(failureText(snapshot.failure!)(en)).not.toBe(en.errors.storageFull);
  });

  it('refuses a lane offered to a sender that takes none, and a request on a lane never offered', async () => {
    const offered = await hostileReceiver();
    offered.peer.send({ type: 'lane-offer', lane: 1, sdp: 'v=0' });
    expect((await offered.ended).error).toMatch(/a lane offered to a sender that takes none/);
    const many = await hostileReceiver([randomFile('a.bin', 1000)], { lanes: fakeLanes().sender });
    many.peer.send({ type: 'lane-offer', lane: MAX_LANES, sdp: 'v=0' });
    expect((await many.ended).error).toMatch(new RegExp(`lane ${MAX_LANES} offered to a sender that takes ${MAX_LANES}`));
    const asked = await hostileReceiver();
    asked.peer.send(request([{ file: 0, start: 0, end: 1000 }], 2));
    expect((await asked.ended).error).toMatch(/request on lane 2, which was not offered/);
    expect(asked.peer.received.some((m) => m.type === 'data' || m.type === 'files')).toBe(false);
  });

  it('rejects a message that only a sender sends', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'manifest', files: [] });
    expect((await ended).error).toMatch(/a receiver does not send manifest/);
  });
});

describe('receipts', () => {
  it('a receipt for a file whose end was not sent yet is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('big.bin', 8 * MiB)]);
    peer.send(request([{ file: 0, start: 0, end: 8 * MiB }]));
    peer.send({ type: 'receipt', verified: [0], failed: [] });
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(/receipt for file 0, which was not sent/);
  });

  it('a receipt that names a file twice is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('a.txt', 10), randomFile('b.txt', 10)]);
    peer.send(request([{ file: 0, start: 0, end: 10 }, { file: 1, start: 0, end: 10 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    peer.send({ type: 'receipt', verified: [0], failed: [0] });
    expect((await ended).error).toMatch(/receipt for file 0, which was not sent/);
  });
});

describe('a receiver that says it is done', () => {
  it('without a byte sent is refused, and not counted as finished', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'done' });
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(/done before every file was sent and verified/);
  });

  it('having verified one file of two is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('a.txt', 10), randomFile('b.txt', 10)]);
    peer.send(request([{ file: 0, start: 0, end: 10 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    peer.send({ type: 'receipt', verified: [0], failed: [] });
    peer.send({ type: 'done' });
    expect((await ended).error).toMatch(/done before every file was sent and verified/);
  });

  it('with a file it found damaged is refused', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 0, start: 0, end: 1000 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files' || m.type === 'file-end')).toBe(true);
    peer.send({ type: 'receipt', verified: [], failed: [0] });
    peer.send({ type: 'done' });
    expect((await ended).error).toMatch(/done before every file was sent and verified/);
  });

  it('after resuming, perhaps to a reloaded sender, is counted with the files it verified before', async () => {
    const files = [randomFile('notes.txt', 1000), randomFile('movie.mp4', 12 * MiB)];
    const delivery = new Delivery();
    const first = wire(files, { cutAfterBytes: 8 * MiB, bytesPerTick: 512 * 1024, delivery });
    expect((await first.settled).receiver.state).toBe('error');
    expect(delivery.verified).toEqual([0]);
    // What it verified, as the share saved it; the second connection sends only the rest.
    const { sender, receiver } = await wire(files, { store: first.store(), delivery: new Delivery(delivery.verified) }).settled;
    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
  });
});
