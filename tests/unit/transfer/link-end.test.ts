import { describe, expect, it } from 'vitest';
import { encodeControl } from '../../../app/src/transfer/frames.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import type { EndReason } from '../../../app/src/transfer/messages.ts';
import { ReceiverSession, storedSnapshot, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { channelPair } from '../support/fake-channel.ts';
import { memoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, receiverPrints, sha256, wire } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;

describe('a link that has ended', () => {
  it.each<EndReason>(['stopped', 'expired', 'declined'])(
    'answers a receiver that proved the secret with “%s”, never the list of files',
    async (reason) => {
      const run = wire([randomFile('secret-plans.pdf', 1000)], { ended: () => reason });
      const { sender, receiver } = await run.settled;
      expect(receiver).toMatchObject({ state: 'ended', ended: reason, error: null, disconnected: false, files: [] });
      expect(run.receiverSnapshots.every((snapshot) => snapshot.files.length === 0)).toBe(true);
      expect(sender.state).toBe('ended');
    },
  );

  it('asks only once the receiver has proved the secret, and tells an unproven one nothing', async () => {
    let asked = 0;
    const run = wire([randomFile('a', 10)], {
      receiverSecret: newSecret(),
      ended: () => (asked++, 'stopped'),
    });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.ended).toBeNull();
    expect(asked).toBe(0);
  });

  it('is believed only from the sender: “ended” before its signed hello is a broken connection', async () => {
    const [senderChannel, receiverChannel] = channelPair();
    let last: ReceiverSnapshot | undefined;
    const receiver = new ReceiverSession({
      channel: receiverChannel,
      maxMessageSize: receiverChannel.maxMessageSize,
      fingerprints: receiverPrints,
      ...newLinkKeys(),
      openStore: async (files) => memoryStore(files),
      onchange: (snapshot) => (last = snapshot),
    });
    void receiver.start();
    for (const frame of encodeControl({ type: 'ended', reason: 'stopped' }, 262144)) senderChannel.send(frame);
    await expect.poll(() => last?.state).toBe('error');
    expect(last).toMatchObject({ ended: null, disconnected: true });
    expect(last!.error).toMatch(/ended before authentication/);
  });
});

describe('stopping a share while a receiver downloads', () => {
  it('tells the receiver, which stops without calling again and keeps every byte it received', async () => {
    const file = randomFile('movie.mp4', 16 * MiB);
    const run = wire([file]);
    // The link stands still 2 MiB in, with more of the file queued behind: the share ends there.
    await run.senderChannel.holdAfter(2 * MiB);
    const ending = run.sender.end('stopped');
    run.senderChannel.release();
    await ending;
    const { sender, receiver } = await run.settled;
    expect(sender.state).toBe('ended');
    // Ended, not dropped: nothing for the page to redial.
    expect(receiver).toMatchObject({ state: 'ended', ended: 'stopped', disconnected: false, error: null });
    expect(receiver.outcomes).not.toContain('verified');
    const kept = run.store().ranges(0);
    expect(kept).toEqual([[0, receiver.progress.bytes]]);
    expect(receiver.progress.bytes).toBeLessThan(file.size);
    // What is kept is the sender's bytes.
    const stored = receiver.progress.bytes;
    expect(sha256(run.store().bytes(0).subarray(0, stored))).toBe(sha256(file.bytes.subarray(0, stored)));
  });

  it('reaches a receiver still proving the secret as soon as it has', async () => {
    const run = wire([randomFile('a', 100)]);
    // At once: the receiver has not even read the sender's hello yet.
    await run.sender.end('expired');
    const { sender, receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'ended', ended: 'expired', files: [] });
    expect(sender.state).toBe('ended');
  });

  it('reaches a receiver that has the list of files but has not started', async () => {
    const run = wire([randomFile('a', 100)], { autoDownload: false });
    await expect.poll(() => run.receiverSnapshots.at(-1)?.state).toBe('waiting');
    await run.sender.end('declined');
    const { receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'ended', ended: 'declined', disconnected: false });
    expect(receiver.files).toHaveLength(1);
  });

  it('changes nothing for a receiver that already has everything', async () => {
    const run = wire([randomFile('a', 100)]);
    const { sender, receiver } = await run.settled;
    await run.sender.end('stopped');
    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
    expect(run.sender.snapshot.state).toBe('done');
  });
});

describe('a transfer whose link ended on an earlier visit', () => {
  it('is shown from what is stored, with the reason, without a connection', () => {
    const files = [
      { name: 'a.txt', size: 10, type: '', lastModified: 0 },
      { name: 'b.txt', size: 20, type: '', lastModified: 0 },
    ];
    const store = memoryStore(files);
    store.verified[0] = 'f'.repeat(64);
    const ranges = [[[0, 10]], [[0, 5]]] as [number, number][][];
    const snapshot = storedSnapshot(files, { ...store, ranges: (file) => ranges[file]! }, 'stopped');
    expect(snapshot).toMatchObject({
      state: 'ended',
      ended: 'stopped',
      outcomes: ['verified', 'pending'],
      progress: { bytes: 15, total: 30 },
      disconnected: false,
    });
  });
});
