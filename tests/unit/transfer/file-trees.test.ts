/**
 * A share's block trees: computed once for every receiver, never cached when a read
 * fails, learned without a read from a small file a sender read whole, hashed in the
 * background until stopped, small files only while no transfer reads.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, blockDigest, treeOfBytes, type Digest } from '../../../app/src/transfer/block-tree.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { FileTrees } from '../../../app/src/transfer/file-trees.ts';
import { memoryFile, randomFile, rootOf } from '../support/transfer-harness.ts';

/** A file whose reads wait until `release()`, counted. */
function heldFile(name: string, bytes: Uint8Array) {
  const reads = { count: 0 };
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const file: FileSource = {
    ...memoryFile(name, bytes),
    read: async (start, end) => {
      reads.count += 1;
      await gate;
      return bytes.slice(start, end);
    },
  };
  return { file, reads, release };
}

describe('a file’s tree', () => {
  it.each([0, 1, BLOCK_SIZE, BLOCK_SIZE + 1, 9 * BLOCK_SIZE + 5])('of %i bytes is the tree of its bytes', async (size) => {
    const file = randomFile('a.bin', size);
    const tree = await new FileTrees().of(file);
    const expected = await treeOfBytes(blockDigest, file.bytes);
    expect(bytesToHex(tree.root)).toBe(bytesToHex(expected.root));
    expect(tree.blocks).toBe(expected.blocks);
    expect(tree.blockHashes).toEqual(expected.blockHashes);
    for (let index = 0; index < tree.blocks; index++) expect(tree.proveBlock(index)).toEqual(expected.proveBlock(index));
  });

  it('is computed once, however many ask and whenever, each block hashed once', async () => {
    const bytes = new Uint8Array(9 * BLOCK_SIZE + 5).map((_, i) => i % 251);
    const { file, reads, release } = heldFile('shared.bin', bytes);
    const hashed: number[] = [];
    // Leaves hash 33 bytes, inner nodes 65: anything else is a block.
    const digest: Digest = (input) => (input.length !== 33 && input.length !== 65 && hashed.push(input.length), blockDigest(input));
    const trees = new FileTrees({ digest });
    const asking = [trees.of(file), trees.of(file), trees.of(file, new AbortController().signal)];
    release();
    const [first, ...others] = await Promise.all(asking);
    for (const other of others) expect(other).toBe(first);
    expect(await trees.of(file)).toBe(first);
    // Read once, a few blocks at a time; every block hashed once.
    expect(reads.count).toBe(Math.ceil(bytes.length / (8 * BLOCK_SIZE)));
    expect(hashed).toEqual([...Array<number>(9).fill(BLOCK_SIZE), 5]);
  });

  it('is read once for a receiver that leaves and another that stays: leaving stops only its own wait', async () => {
    const bytes = new Uint8Array(3 * BLOCK_SIZE).map((_, i) => i % 253);
    const { file, reads, release } = heldFile('shared.bin', bytes);
    const trees = new FileTrees();
    const leaving = new AbortController();
    const first = trees.of(file, leaving.signal);
    const second = trees.of(file, new AbortController().signal);
    leaving.abort(new Error('receiver A left'));
    release();
    await expect(first).rejects.toThrow('receiver A left');
    expect(bytesToHex((await second).root)).toBe(await rootOf(bytes));
    expect(reads.count).toBe(1);
  });

  it('asked for with a signal already aborted is refused at once, with its reason', async () => {
    const { file } = heldFile('a.bin', new Uint8Array(10));
    // The read is held: only the signal can settle this.
    await expect(new FileTrees().of(file, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});

describe('root', () => {
  it('is known once the tree is, without waiting, and never starts the work itself', async () => {
    const file = randomFile('a.bin', 1000);
    const reads = { count: 0 };
    const counted = { ...file, read: (start: number, end: number) => (reads.count++, file.read(start, end)) };
    const learned: [FileSource, string][] = [];
    const trees = new FileTrees({ onroot: (source, root) => learned.push([source, root]) });
    expect(trees.root(counted)).toBeUndefined();
    expect(reads.count).toBe(0);
    await trees.of(counted);
    expect(trees.root(counted)).toBe(await rootOf(file.bytes));
    // The share hears of it once, to save it.
    await trees.of(counted);
    expect(learned).toEqual([[counted, await rootOf(file.bytes)]]);
  });
});

describe('a file of one block read whole by a sender', () => {
  it.each([0, 1000, BLOCK_SIZE])('of %i bytes gives its tree from its bytes’ hash, with no read of its own', async (size) => {
    const file = randomFile('small.bin', size);
    const reads = { count: 0 };
    const counted = memoryFile('small.bin', file.bytes, reads);
    const learned: string[] = [];
    const trees = new FileTrees({ onroot: (_, root) => learned.push(root) });
    expect(trees.oneBlockRead(counted, sha256(file.bytes))).toBe(true);
    // Known at once, for the share to save and for the next receiver's manifest.
    expect(trees.root(counted)).toBe(await rootOf(file.bytes));
    expect(learned).toEqual([await rootOf(file.bytes)]);
    const tree = await trees.of(counted);
    const expected = await treeOfBytes(blockDigest, file.bytes);
    expect(tree.blockHashes).toEqual(expected.blockHashes);
    for (let index = 0; index < tree.blocks; index++) expect(tree.proveBlock(index)).toEqual(expected.proveBlock(index));
    expect(reads.count).toBe(0);
  });

  it('agrees with the root already known, or says the file changed', async () => {
    const file = randomFile('small.bin', 1000);
    const trees = new FileTrees();
    await trees.of(file);
    expect(trees.oneBlockRead(file, sha256(file.bytes))).toBe(true);
    const changed = file.bytes.map((byte, at) => (at === 0 ? byte ^ 1 : byte));
    expect(trees.oneBlockRead(file, sha256(changed))).toBe(false);
    // The root stays the one the share announced.
    expect(trees.root(file)).toBe(await rootOf(file.bytes));
  });

  it('leaves a tree still being read to finish, which is shared as before', async () => {
    const bytes = new Uint8Array(1000).fill(3);
    const { file, reads, release } = heldFile('small.bin', bytes);
    const trees = new FileTrees();
    const reading = trees.of(file);
    expect(trees.oneBlockRead(file, sha256(bytes))).toBe(true);
    release();
    expect(await trees.of(file)).toBe(await reading);
    expect(trees.root(file)).toBe(await rootOf(bytes));
    expect(reads.count).toBe(1);
  });

  it('is refused for a file of more than one block, whose tree one hash cannot give', () => {
    const file = randomFile('large.bin', BLOCK_SIZE + 1);
    expect(() => new FileTrees().oneBlockRead(file, sha256(file.bytes))).toThrow(RangeError);
  });
});

describe('a failed read', () => {
  it('is not cached: the next one to ask reads again, and gets the tree', async () => {
    const file = randomFile('a.bin', 1000);
    let fail = true;
    let reads = 0;
    const flaky: FileSource = {
      ...file,
      read: async (start, end) => {
        reads += 1;
        if (fail) throw new Error('NotReadableError: the file could not be read');
        return file.bytes.slice(start, end);
      },
    };
    const learned: string[] = [];
    const trees = new FileTrees({ onroot: (_, root) => learned.push(root) });
    await expect(trees.of(flaky)).rejects.toThrow('NotReadableError');
    expect(trees.root(flaky)).toBeUndefined();
    expect(learned).toEqual([]);
    fail = false;
    expect(bytesToHex((await trees.of(flaky)).root)).toBe(await rootOf(file.bytes));
    expect(reads).toBe(2);
    expect(learned).toEqual([await rootOf(file.bytes)]);
  });

  it('of a file that changed length while it was read fails, and is not cached either', async () => {
    const file = randomFile('a.bin', 1000);
    let shrunk = true;
    const changing: FileSource = { ...file, read: async (start, end) => file.bytes.slice(start, shrunk ? end - 1 : end) };
    const trees = new FileTrees();
    await expect(trees.of(changing)).rejects.toThrow(/a\.bin changed while it was being read/);
    shrunk = false;
    expect(bytesToHex((await trees.of(changing)).root)).toBe(await rootOf(file.bytes));
  });
});

describe('hashAll', () => {
  it('goes through every file, one after another, and leaves one it cannot read for whoever asks next', async () => {
    const files = [randomFile('a.bin', 1000), randomFile('b.bin', 0), randomFile('c.bin', BLOCK_SIZE + 1)];
    const unreadable: FileSource = { ...randomFile('d.bin', 10), read: async () => Promise.reject(new Error('gone')) };
    const order: string[] = [];
    const watched = [files[0]!, unreadable, files[1]!, files[2]!].map((file) => ({
      ...file,
      read: (start: number, end: number) => (order.push(file.name), file.read(start, end)),
    }));
    const trees = new FileTrees();
    await trees.hashAll(watched);
    expect(order).toEqual(['a.bin', 'd.bin', 'c.bin']);
    expect(trees.root(watched[0]!)).toBe(await rootOf(files[0]!.bytes));
    expect(trees.root(watched[1]!)).toBeUndefined();
    // An empty file has a root without a read: the SHA-256 of nothing.
    expect(trees.root(watched[2]!)).toBe(await rootOf(new Uint8Array(0)));
    expect(trees.root(watched[3]!)).toBe(await rootOf(files[2]!.bytes));
    await expect(trees.of(watched[1]!)).rejects.toThrow('gone');
  });

  it('stops when aborted: the file being hashed is finished, the rest are never read', async () => {
    const first = heldFile('a.bin', new Uint8Array(1000).fill(7));
    const rest = [heldFile('b.bin', new Uint8Array(1000)), heldFile('c.bin', new Uint8Array(1000))];
    for (const { release } of rest) release();
    const trees = new FileTrees();
    const stop = new AbortController();
    const hashing = trees.hashAll([first.file, ...rest.map(({ file }) => file)], stop.signal);
    await expect.poll(() => first.reads.count).toBe(1);
    stop.abort();
    first.release();
    await hashing;
    expect(trees.root(first.file)).toBe(await rootOf(new Uint8Array(1000).fill(7)));
    expect(rest.map(({ reads }) => reads.count)).toEqual([0, 0]);
    expect(rest.map(({ file }) => trees.root(file))).toEqual([undefined, undefined]);
  });

  it('while a transfer reads, hashes only files of more than one block, and the small ones once it stops, but those a sender told', async () => {
    const small = [randomFile('a.bin', 1000), randomFile('b.bin', BLOCK_SIZE), randomFile('c.bin', 10)];
    const large = randomFile('d.bin', BLOCK_SIZE + 1);
    const order: string[] = [];
    const [a, b, d, c] = [small[0]!, small[1]!, large, small[2]!].map((file) => ({
      ...file,
      read: (start: number, end: number) => (order.push(file.name), file.read(start, end)),
    }));
    const trees = new FileTrees();
    trees.transferring(true);
    const hashing = trees.hashAll([a!, b!, d!, c!]);
    await expect.poll(() => trees.root(d!)).toBe(await rootOf(large.bytes));
    expect(order).toEqual(['d.bin']);
    // The transfer sends b.bin whole, and says what its bytes hash to.
    trees.oneBlockRead(b!, sha256(small[1]!.bytes));
    // Stopping twice, or starting again while going, changes nothing.
    trees.transferring(true);
    trees.transferring(false);
    trees.transferring(false);
    await hashing;
    expect(order).toEqual(['d.bin', 'a.bin', 'c.bin']);
    for (const [file, { bytes }] of [[a, small[0]!], [b, small[1]!], [c, small[2]!]] as const) expect(trees.root(file!)).toBe(await rootOf(bytes));
  });

  it('stops when aborted while it waits for a transfer to end, and reads no more', async () => {
    const file = heldFile('a.bin', new Uint8Array(1000));
    file.release();
    const trees = new FileTrees();
    trees.transferring(true);
    const stop = new AbortController();
    const hashing = trees.hashAll([file.file], stop.signal);
    stop.abort();
    await hashing;
    trees.transferring(false);
    expect(file.reads.count).toBe(0);
    expect(trees.root(file.file)).toBeUndefined();
  });

  it('given a signal already aborted reads nothing', async () => {
    const file = heldFile('a.bin', new Uint8Array(10));
    await new FileTrees().hashAll([file.file], AbortSignal.abort());
    expect(file.reads.count).toBe(0);
  });
});
