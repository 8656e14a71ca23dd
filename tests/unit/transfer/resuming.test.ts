/** Picking a transfer up again: only the missing bytes, gaps filled, verified files left alone. */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../app/src/transfer/frames.ts';
import type { ControlMessage } from '../../../app/src/transfer/messages.ts';
import { memoryStore } from '../support/memory-store.ts';
import { randomFile, sha256, wire } from '../support/transfer-harness.ts';

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

    const second = wire([file], { store });
    const requests: ControlMessage[] = [];
    const decoder = new FrameDecoder();
    second.receiverChannel.peer.addEventListener('message', (event) => {
      const message = decoder.decode((event as Event & { data: ArrayBuffer }).data);
      if (message?.type === 'request') requests.push(message);
    });
    const { sender, receiver } = await second.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.resumedAt).toBeCloseTo(kept[0]![1] / file.size, 5);
    // The first request picks up exactly where the stored bytes end.
    expect(requests[0]).toMatchObject({ ranges: [{ file: 0, start: kept[0]![1] }] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    const sent = cut.sender.sentBytes + sender.sentBytes;
    expect(sent).toBeLessThanOrEqual(file.size + 4 * MiB);
  });

  it('fills the gaps of a store with holes and verifies the file by reading it back', async () => {
    const file = randomFile('holes.bin', 3 * MiB);
    const store = memoryStore([file]);
    await store.write(0, 0, file.bytes.slice(0, MiB));
    await store.write(0, 2 * MiB, file.bytes.slice(2 * MiB, 2.5 * MiB));
    const run = wire([file], { store });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(sender.sentBytes).toBe(1.5 * MiB);
    expect(run.receiverSnapshots.some((snapshot) => snapshot.state === 'verifying')).toBe(true);
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
  });

  it('does not fetch a verified file again', async () => {
    const files = [randomFile('a', MiB), randomFile('b', MiB)];
    const store = memoryStore(files);
    await store.write(0, 0, files[0]!.bytes);
    await store.settle(0, sha256(files[0]!.bytes));
    const run = wire(files, { store });
    const { sender, receiver } = await run.settled;
    expect(receiver.outcomes).toEqual(['verified', 'verified']);
    expect(sender.sentBytes).toBe(MiB);
  });
});
