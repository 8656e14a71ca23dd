/** Damaged bytes on the way: caught by the file hashes, fetched again, given up on with a clear error. */
import { describe, expect, it } from 'vitest';
import { DATA_HEADER_BYTES } from '../../../app/src/transfer/frames.ts';
import { randomFile, sha256, wire } from '../support/transfer-harness.ts';

function flipByte(times: number) {
  let flipped = 0;
  const tamper = (frame: Uint8Array) => {
    if (flipped < times && frame[0] === 0x10 && frame.length > DATA_HEADER_BYTES + 100) {
      flipped += 1;
      const copy = frame.slice();
      copy[DATA_HEADER_BYTES + 100]! ^= 0xff;
      return copy;
    }
    return frame;
  };
  return { tamper, flipped: () => flipped };
}

describe('integrity', () => {
  it('catches a SHA-256 mismatch and fetches the file again', async () => {
    const files = [randomFile('photo.jpg', 300_000)];
    const damage = flipByte(1);
    const run = wire(files, { tamper: damage.tamper });
    const { sender, receiver } = await run.settled;
    expect(damage.flipped()).toBe(1);
    expect(run.receiverSnapshots.some((s) => s.outcomes[0] === 'failed')).toBe(true);
    expect(receiver.state).toBe('done');
    expect(sha256(run.store().bytes(0))).toBe(sha256(files[0]!.bytes));
    expect(sender.sentBytes).toBe(2 * 300_000);
  });

  it('catches a mismatch in a file sent whole, stores none of it and fetches it again', async () => {
    const files = [randomFile('a.txt', 1000), randomFile('b.txt', 1000), randomFile('c.txt', 1000)];
    let flipped = 0;
    // The last byte of the first FILES frame is c.txt's last byte.
    const tamper = (frame: Uint8Array) => {
      if (flipped > 0 || frame[0] !== 0x11) return frame;
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
    expect(sender.sentBytes).toBe(4000);
    expect(sender.filesConfirmed).toBe(3);
  });

  it('gives up with a clear error when the file keeps failing, and keeps nothing of it', async () => {
    const files = [randomFile('photo.jpg', 300_000)];
    const run = wire(files, { tamper: flipByte(Infinity).tamper });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.outcomes).toEqual(['failed']);
    expect(receiver.error).toMatch(/photo\.jpg failed verification/);
    expect(receiver.failure).toEqual({ code: 'integrity', file: 'photo.jpg' });
    expect(run.store().verified[0]).toBeNull();
    expect(run.store().ranges(0)).toEqual([]);
    expect(sender.state).toBe('error');
  });
});
