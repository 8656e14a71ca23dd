import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeDigest } from '../../../app/cli/block-digest-node.ts';
import { blocksOf, treeOfFile, treeOfStream } from '../../../app/cli/file-root.ts';
import { BLOCK_SIZE, treeOfBytes } from '../../../app/src/transfer/block-tree.ts';
import { useTempFolders } from './temp-folders.ts';

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * RFC 6962's Merkle Tree Hash over the blocks, written here from its definition
 * rather than taken from block-tree.ts: leaf = SHA-256(0x00 ‖ SHA-256(block)),
 * node = SHA-256(0x01 ‖ left ‖ right), split at the largest power of two below n.
 */
function rfc6962Root(bytes: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) blocks.push(bytes.subarray(at, at + BLOCK_SIZE));
  const root = (of: Uint8Array[]): Uint8Array => {
    if (of.length === 0) return sha256(new Uint8Array(0));
    if (of.length === 1) return sha256(Uint8Array.of(0x00), sha256(of[0]!));
    let split = 1;
    while (split * 2 < of.length) split *= 2;
    return sha256(Uint8Array.of(0x01), root(of.slice(0, split)), root(of.slice(split)));
  };
  return root(blocks);
}

/** The bytes i % 251: no block repeats another, so a block read twice or skipped changes the root. */
function bytesOf(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => i % 251);
}

/** Roots of bytesOf(size), worked out apart from this code with Python's hashlib by the same RFC 6962 rule. */
const VECTORS = [
  ['the empty file', 0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['1 byte', 1, 'd9de27625445003d8a9739a851e3ff8d41c0683630b4d63a88327a6aaa37c409'],
  ['exactly one block', BLOCK_SIZE, '13879d942ed50c0fe841e59447f6a2573549537f6d801ae93ed80039e93d4aa4'],
  ['one block and 1 byte', BLOCK_SIZE + 1, '70828ad3fd0e98a938116ef1ceea432f79d0d3be8e53e0de5ed6c810f0d3952a'],
  ['3 blocks and 1000 bytes', 3 * BLOCK_SIZE + 1000, 'e00cf78c8b3ce05b69472f9a3c0f8fb0ff6589f26720932a1c9baa3cd4e2ecd9'],
] as const;

/** `bytes` handed over in pieces of `size` bytes, as a pipe might cut them. */
async function* inPieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

describe('the root of a file on disk', () => {
  const tempFolder = useTempFolders('file-root-');

  it.each(VECTORS)('of %s is the known root, RFC 6962’s, and treeOfBytes’s', async (_, size, known) => {
    const bytes = bytesOf(size);
    const path = join(await tempFolder(), 'file');
    await writeFile(path, bytes);
    const tree = await treeOfFile(path);
    expect(hex(tree.root)).toBe(known);
    expect(hex(tree.root)).toBe(hex(rfc6962Root(bytes)));
    expect(hex(tree.root)).toBe(hex((await treeOfBytes(nodeDigest, bytes)).root));
    expect(tree.blocks).toBe(Math.ceil(size / BLOCK_SIZE));
  });

  it('is not the file’s plain SHA-256, except for the empty file', async () => {
    const path = join(await tempFolder(), 'file');
    await writeFile(path, bytesOf(1));
    expect(hex((await treeOfFile(path)).root)).not.toBe(hex(sha256(bytesOf(1))));
  });

  it('rejects with the file system’s code for a missing file and a folder', async () => {
    const folder = await tempFolder();
    await mkdir(join(folder, 'photos'));
    await expect(treeOfFile(join(folder, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(treeOfFile(join(folder, 'photos'))).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('stops with the signal’s reason once aborted', async () => {
    const path = join(await tempFolder(), 'file');
    await writeFile(path, bytesOf(3 * BLOCK_SIZE));
    const reason = new Error('stopped');
    await expect(treeOfFile(path, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('the root of a stream', () => {
  const bytes = bytesOf(3 * BLOCK_SIZE + 1000);
  const known = VECTORS[4][2];

  it.each([
    ['a few bytes', 7],
    ['pieces smaller than a block that do not divide it', 100_003],
    ['pieces larger than a block', BLOCK_SIZE + 12_345],
    ['one piece', bytes.length],
  ])('is the same however it is cut: %s', async (_, size) => {
    expect(hex((await treeOfStream(inPieces(bytes, size))).root)).toBe(known);
  });

  it('of nothing is the empty file’s', async () => {
    expect(hex((await treeOfStream(inPieces(new Uint8Array(0), 1))).root)).toBe(VECTORS[0][2]);
  });
});

describe('blocksOf', () => {
  it('cuts into whole blocks and a short last one, whatever the pieces', async () => {
    const sizes: number[] = [];
    for await (const block of blocksOf(inPieces(bytesOf(25), 3), 10)) sizes.push(block.length);
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('passes on a piece that holds whole blocks without copying it', async () => {
    const piece = bytesOf(20);
    const blocks: Uint8Array[] = [];
    for await (const block of blocksOf(inPieces(piece, piece.length), 10)) blocks.push(block);
    expect(blocks.map((block) => [...block])).toEqual([[...piece.subarray(0, 10)], [...piece.subarray(10)]]);
    // Views of one piece, not one reused buffer: the first block still holds its own bytes.
    expect(blocks[0]!.buffer).toBe(blocks[1]!.buffer);
    expect(blocks[0]!.byteOffset).toBe(0);
    expect(blocks[1]!.byteOffset).toBe(10);
  });

  it('gathers pieces into one buffer that the next block reuses, so each block is used before the next', async () => {
    const blocks: Uint8Array[] = [];
    for await (const block of blocksOf(inPieces(bytesOf(20), 3), 10)) blocks.push(block);
    expect(blocks[0]).toBe(blocks[1]);
  });
});
