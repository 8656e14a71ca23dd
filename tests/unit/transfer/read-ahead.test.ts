import { describe, expect, it } from 'vitest';
import { EARLY_FILES, ReadAhead } from '../../../app/src/transfer/read-ahead.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { memoryFile } from '../support/transfer-harness.ts';

function counted(bytes: Uint8Array): { file: FileSource; reads: [number, number][] } {
  const reads: [number, number][] = [];
  const inner = memoryFile('f.bin', bytes);
  return { file: { ...inner, read: (start, end) => (reads.push([start, end]), inner.read(start, end)) }, reads };
}

const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);

async function fill(reader: ReadAhead, file: FileSource, offset: number, length: number): Promise<number[]> {
  const target = new Uint8Array(length);
  await reader.fill(file, offset, target);
  return [...target];
}

describe('ReadAhead', () => {
  it('reads in blocks, one block ahead, across consecutive requests', async () => {
    const { file, reads } = counted(bytes);
    const reader = new ReadAhead(16);
    expect(await fill(reader, file, 0, 10)).toEqual([...bytes.slice(0, 10)]);
    expect(reads).toEqual([[0, 16], [16, 32]]);
    // Spans the first two blocks; the third is read ahead.
    expect(await fill(reader, file, 10, 12)).toEqual([...bytes.slice(10, 22)]);
    expect(reads).toEqual([[0, 16], [16, 32], [32, 48]]);
    expect(await fill(reader, file, 22, 10)).toEqual([...bytes.slice(22, 32)]);
    expect(reads).toHaveLength(3);
  });

  it('reads blocks at fixed places, and stops reading ahead at the end of the file', async () => {
    const { file, reads } = counted(bytes);
    const reader = new ReadAhead(64);
    expect(await fill(reader, file, 60, 40)).toEqual([...bytes.slice(60, 100)]);
    expect(reads).toEqual([
      [0, 64],
      [64, 100],
    ]);
  });

  it('reads the blocks a request falls in wherever it jumps, in this file or another, letting the oldest go', async () => {
    const { file, reads } = counted(bytes);
    const reader = new ReadAhead(16);
    await fill(reader, file, 0, 4);
    expect(await fill(reader, file, 70, 4)).toEqual([70, 71, 72, 73]);
    expect(reads).toEqual([[0, 16], [16, 32], [64, 80], [80, 96]]);
    const other = counted(bytes.map((b) => 255 - b));
    expect(await fill(reader, other.file, 70, 2)).toEqual([185, 184]);
    expect(other.reads[0]).toEqual([64, 80]);
    // Block 0 of the first file was let go for these: asked again, it is read again.
    await fill(reader, file, 4, 4);
    expect(reads.at(-2)).toEqual([0, 16]);
  });

  it('shares blocks between ranges sent at once (lanes), reading each block once', async () => {
    const { file, reads } = counted(bytes);
    const reader = new ReadAhead(16, 8);
    // Four lanes, each sending 12 bytes of its own range, 4 at a time, in turns.
    const ranges = [0, 12, 24, 36].map((start) => ({ start, at: start }));
    const got = new Uint8Array(48);
    for (let turn = 0; turn < 3; turn++) {
      await Promise.all(
        ranges.map(async (range) => {
          const target = got.subarray(range.at, range.at + 4);
          range.at += 4;
          await reader.fill(file, range.at - 4, target);
        }),
      );
    }
    expect([...got]).toEqual([...bytes.slice(0, 48)]);
    expect(reads).toEqual([[0, 16], [16, 32], [32, 48], [48, 64]]);
  });

  it('reads small files about to be sent ahead, a bounded number at a time, topped up in groups', async () => {
    const started: string[] = [];
    const files = Array.from({ length: 3 * EARLY_FILES + 10 }, (_, i) => {
      const inner = memoryFile(`${i}.bin`, bytes.slice(0, 10 + (i % 5)));
      return { ...inner, read: (start: number, end: number) => (started.push(`${inner.name} ${start}-${end}`), inner.read(start, end)) };
    });
    const large = counted(new Uint8Array(64)).file;
    const reader = new ReadAhead(32);
    reader.expect([large, ...files]);
    // Not the file larger than a block: it is read block by block when its turn comes.
    expect(started).toHaveLength(EARLY_FILES);
    expect(started[0]).toBe('0.bin 0-10');
    for (const [i, file] of files.entries()) {
      const before = started.length;
      expect(await fill(reader, file, 0, file.size)).toEqual([...bytes.slice(0, file.size)]);
      const taken = i + 1;
      const ahead = started.length - taken;
      expect(ahead).toBeLessThanOrEqual(EARLY_FILES);
      expect(ahead).toBeGreaterThanOrEqual(Math.min(EARLY_FILES / 2, files.length - taken));
      // No reads one at a time: none, or a group that fills the line again.
      const added = started.length - before;
      expect(added === 0 || added >= Math.min(EARLY_FILES / 2, files.length - before)).toBe(true);
    }
    // Each file read once.
    expect(new Set(started).size).toBe(files.length);
    expect(started).toHaveLength(files.length);
  });

  it('fails when the file has fewer bytes than it claimed', async () => {
    const shrunk: FileSource = { ...memoryFile('gone.bin', bytes.slice(0, 50)), size: 100 };
    await expect(fill(new ReadAhead(16), shrunk, 40, 20)).rejects.toThrow('gone.bin changed while it was being sent');
  });

  it('does not report a failed read nobody waited for', async () => {
    let calls = 0;
    const flaky: FileSource = {
      ...memoryFile('flaky.bin', bytes),
      read: async (start, end) => {
        if (++calls === 2) throw new Error('unreadable');
        return bytes.slice(start, end);
      },
    };
    const reader = new ReadAhead(16);
    expect(await fill(reader, flaky, 0, 4)).toEqual([0, 1, 2, 3]);
    // The second (read-ahead) block failed; jumping elsewhere abandons it quietly.
    expect(await fill(reader, flaky, 80, 2)).toEqual([80, 81]);
  });
});
