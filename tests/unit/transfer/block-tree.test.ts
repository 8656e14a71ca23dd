import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeDigest } from '../../../app/cli/block-digest-node.ts';
import {
  BLOCK_SIZE,
  BlockTreeBuilder,
  blockCount,
  digestWith,
  SMALL_DIGEST_BYTES,
  treeFromBlockHashes,
  treeOfBytes,
  verifyBlock,
  type BlockTree,
} from '../../../app/src/transfer/block-tree.ts';

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * RFC 6962's Merkle Tree Hash written out from its recursive definition (split at
 * the largest power of two below n), with the leaf over the block's SHA-256: the
 * module builds the same tree level by level, so the two are worked out apart.
 */
function expectedRoot(blocks: Uint8Array[]): Uint8Array {
  if (blocks.length === 0) return sha256(new Uint8Array(0));
  if (blocks.length === 1) return sha256(Uint8Array.of(0), sha256(blocks[0]!));
  let split = 1;
  while (split * 2 < blocks.length) split *= 2;
  return sha256(Uint8Array.of(1), expectedRoot(blocks.slice(0, split)), expectedRoot(blocks.slice(split)));
}

/** Bytes that differ from block to block, so a swapped block changes the root. */
function bytesOf(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 18)) % 251);
}

function blocksOf(bytes: Uint8Array): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) blocks.push(bytes.subarray(at, at + BLOCK_SIZE));
  return blocks;
}

async function everyBlockVerifies(tree: BlockTree): Promise<boolean[]> {
  return Promise.all(
    tree.blockHashes.map((hash, index) => verifyBlock(tree.root, tree.blocks, index, hash, tree.proveBlock(index))),
  );
}

describe('the block tree root', () => {
  const cases = [
    ['0 bytes', 0, 0],
    ['1 byte', 1, 1],
    ['exactly 1 block', BLOCK_SIZE, 1],
    ['exactly 2 blocks', 2 * BLOCK_SIZE, 2],
    ['3 blocks', 3 * BLOCK_SIZE, 3],
    ['2 blocks and a short last one', 2 * BLOCK_SIZE + 1000, 3],
    ['4 blocks and a short fifth', 4 * BLOCK_SIZE + 1, 5],
    ['7 blocks', 7 * BLOCK_SIZE, 7],
  ] as const;

  it.each(cases)('of %s is RFC 6962 over the block hashes', async (_, size, blocks) => {
    const bytes = bytesOf(size);
    const tree = await treeOfBytes(nodeDigest, bytes);
    expect(blockCount(size)).toBe(blocks);
    expect(tree.blocks).toBe(blocks);
    expect(hex(tree.root)).toBe(hex(expectedRoot(blocksOf(bytes))));
    expect(await everyBlockVerifies(tree)).toEqual(Array(blocks).fill(true));
  });

  it('matches vectors worked out by hand', async () => {
    // SHA-256 of nothing, as RFC 6962 roots an empty tree.
    expect(hex((await treeOfBytes(nodeDigest, new Uint8Array(0))).root)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex((await treeOfBytes(nodeDigest, new TextEncoder().encode('abc'))).root)).toBe(
      '8a7deab2cc5ee003b6394337538a52b3198f1a6ddeb10c7daf62fe1c9834b43b',
    );
    // 3 blocks and a short fourth of the bytes i % 251 (computed apart, with Python's hashlib).
    const bytes = Uint8Array.from({ length: 3 * BLOCK_SIZE + 1000 }, (_, i) => i % 251);
    expect(hex((await treeOfBytes(nodeDigest, bytes)).root)).toBe('e00cf78c8b3ce05b69472f9a3c0f8fb0ff6589f26720932a1c9baa3cd4e2ecd9');
  });

  it('is a different root from the plain SHA-256 of a one-block file', async () => {
    const bytes = bytesOf(100);
    expect(hex((await treeOfBytes(nodeDigest, bytes)).root)).not.toBe(hex(sha256(bytes)));
  });

  it('is the same whether blocks are hashed one by one, all at once, or handed over hashed', async () => {
    const blocks = blocksOf(bytesOf(5 * BLOCK_SIZE + 3));
    const awaited = new BlockTreeBuilder(nodeDigest);
    for (const block of blocks) await awaited.addBlock(block);
    const overlapped = new BlockTreeBuilder(nodeDigest);
    await Promise.all(blocks.map((block) => overlapped.addBlock(block)));
    const roots = [
      (await awaited.finish()).root,
      (await overlapped.finish()).root,
      (await treeFromBlockHashes(blocks.map((block) => sha256(block)))).root,
    ];
    expect(new Set(roots.map(hex)).size).toBe(1);
  });
});

describe('a block checked alone', () => {
  it('is refused when damaged, and only that block is', async () => {
    const bytes = bytesOf(6 * BLOCK_SIZE + 5);
    const tree = await treeOfBytes(nodeDigest, bytes);
    const damaged = bytes.slice();
    damaged[3 * BLOCK_SIZE + 12345]! ^= 0x10;
    const results = await Promise.all(
      blocksOf(damaged).map((block, index) => verifyBlock(tree.root, tree.blocks, index, sha256(block), tree.proveBlock(index))),
    );
    expect(results).toEqual([true, true, true, false, true, true, true]);
  });

  it('is refused at another index, with another block count or with a proof cut short or padded', async () => {
    const tree = await treeOfBytes(nodeDigest, bytesOf(5 * BLOCK_SIZE));
    const [hash, proof] = [tree.blockHashes[4]!, tree.proveBlock(4)];
    expect(await verifyBlock(tree.root, 5, 4, hash, proof)).toBe(true);
    expect(await verifyBlock(tree.root, 5, 3, hash, proof)).toBe(false);
    expect(await verifyBlock(tree.root, 6, 4, hash, proof)).toBe(false);
    expect(await verifyBlock(tree.root, 8, 4, hash, proof)).toBe(false);
    expect(await verifyBlock(tree.root, 5, 5, hash, proof)).toBe(false);
    expect(await verifyBlock(tree.root, 5, -1, hash, proof)).toBe(false);
    expect(await verifyBlock(tree.root, 5, 4, hash, proof.slice(1))).toBe(false);
    expect(await verifyBlock(tree.root, 5, 4, hash, [...proof, tree.root])).toBe(false);
    expect(await verifyBlock(tree.root, 5, 4, hash, [new Uint8Array(31)])).toBe(false);
  });

  it('cannot be an inner node passed off as a leaf', async () => {
    // Blocks 0 and 1's parent, presented as the hash of one block: as a leaf it is
    // hashed again with the leaf prefix, so the remaining levels no longer make the root.
    const tree = await treeOfBytes(nodeDigest, bytesOf(4 * BLOCK_SIZE));
    const leaves = await Promise.all(tree.blockHashes.map((hash) => sha256(Uint8Array.of(0), hash)));
    const parent = sha256(Uint8Array.of(1), leaves[0]!, leaves[1]!);
    const uncle = tree.proveBlock(0)[1]!;
    expect(await verifyBlock(tree.root, 2, 0, parent, [uncle])).toBe(false);
    // Were a leaf the block hash itself, this forgery would hold: the same two hashes make the root.
    expect(hex(sha256(Uint8Array.of(1), parent, uncle))).toBe(hex(tree.root));
  });
});

describe('the builder', () => {
  it('refuses empty or oversized blocks, bad hashes and blocks after finishing', async () => {
    const builder = new BlockTreeBuilder(nodeDigest);
    expect(() => builder.addBlock(new Uint8Array(0))).toThrow(RangeError);
    expect(() => builder.addBlock(new Uint8Array(BLOCK_SIZE + 1))).toThrow(RangeError);
    expect(() => builder.addBlockHash(new Uint8Array(16))).toThrow(RangeError);
    await builder.addBlock(new Uint8Array(10));
    await builder.finish();
    expect(() => builder.addBlock(new Uint8Array(10))).toThrow(/already finished/);
    await expect(builder.finish()).rejects.toThrow(/already finished/);
  });

  it('proves no block outside the file', async () => {
    const tree = await treeOfBytes(nodeDigest, bytesOf(2 * BLOCK_SIZE));
    expect(() => tree.proveBlock(2)).toThrow(/no block 2/);
    expect(() => tree.proveBlock(1.5)).toThrow(RangeError);
  });

  it('refuses a size that is no file size', () => {
    expect(() => blockCount(-1)).toThrow(RangeError);
    expect(() => blockCount(Number.NaN)).toThrow(RangeError);
  });
});

describe('the SHA-256 blocks are hashed with', () => {
  const inputs = [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(BLOCK_SIZE).map((_, i) => i * 7)];

  it('is WebCrypto’s where there is WebCrypto, but for small inputs, and gives the same hashes as node:crypto', async () => {
    const sizes: number[] = [];
    const subtle = {
      digest: (algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>) => {
        sizes.push(data.length);
        return globalThis.crypto.subtle.digest(algorithm, data);
      },
    };
    const digest = digestWith({ subtle });
    const around = [...inputs, new Uint8Array(SMALL_DIGEST_BYTES - 1).fill(9), new Uint8Array(SMALL_DIGEST_BYTES).fill(9)];
    for (const bytes of around) expect(await digest(bytes)).toEqual(await nodeDigest(bytes));
    expect(sizes).toEqual([BLOCK_SIZE, SMALL_DIGEST_BYTES]);
  });

  it('is JavaScript’s where a page has no WebCrypto (plain http), and gives the same hashes', async () => {
    let asked = 0;
    const noSubtle = {
      get subtle() {
        asked += 1;
        return undefined;
      },
    };
    for (const crypto of [undefined, noSubtle]) {
      const digest = digestWith(crypto);
      for (const bytes of inputs) expect(await digest(bytes)).toEqual(await nodeDigest(bytes));
    }
    // Chosen once, not at every block.
    expect(asked).toBe(1);
  });
});
