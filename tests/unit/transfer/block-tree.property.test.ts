import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { treeFromBlockHashes, verifyBlock } from '../../../app/src/transfer/block-tree.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';

/** Trees of random block hashes (the tree never sees the blocks, only their SHA-256s). */
const blockHashes = fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 70 });

function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[(bit >> 3) % copy.length]! ^= 1 << (bit & 7);
  return copy;
}

describe('block proofs, on random trees', () => {
  it('every block verifies by its own proof', async () => {
    await fc.assert(
      fc.asyncProperty(blockHashes, async (hashes) => {
        const tree = await treeFromBlockHashes(hashes);
        for (let index = 0; index < hashes.length; index++) {
          expect(await verifyBlock(tree.root, hashes.length, index, hashes[index]!, tree.proveBlock(index))).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(100) },
    );
  }, fuzzTimeout);

  it('any one bit flipped in the block hash, the proof or the root fails', async () => {
    await fc.assert(
      fc.asyncProperty(blockHashes, fc.nat(), fc.nat(), fc.nat(255), async (hashes, pick, part, bit) => {
        const tree = await treeFromBlockHashes(hashes);
        const index = pick % hashes.length;
        let [root, blockHash, proof]: [Uint8Array, Uint8Array, Uint8Array[]] = [tree.root, hashes[index]!, tree.proveBlock(index)];
        // Which to damage: the block's hash, the root, or one of the proof's hashes.
        const target = part % (2 + proof.length);
        if (target === 0) blockHash = flipped(blockHash, bit);
        else if (target === 1) root = flipped(root, bit);
        else proof = proof.map((hash, i) => (i === target - 2 ? flipped(hash, bit) : hash));
        expect(await verifyBlock(root, hashes.length, index, blockHash, proof)).toBe(false);
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});
