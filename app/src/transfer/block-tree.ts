/**
 * A file's block hash tree: SHA-256 over fixed-size blocks, and a binary Merkle root
 * over those block hashes, so that one block can be checked against the root alone
 * (with a proof of log2(blocks) hashes) and a damaged block refetched by itself.
 *
 * The rule is RFC 6962's Merkle Tree Hash (Certificate Transparency; RFC 9162 §2.1):
 * - a leaf is SHA-256(0x00 ‖ x), an inner node SHA-256(0x01 ‖ left ‖ right). The
 *   prefixes keep a leaf from ever passing for an inner node (or the reverse), so no
 *   one can present two block hashes as "one block" or cut a proof short;
 * - the tree over n leaves splits at the largest power of two below n, so an odd
 *   count needs no padding: the last leaf (or subtree) without a partner is carried up
 *   unchanged until it has one. No zero-filled leaves, as BitTorrent v2 pads with, and
 *   the tree's shape follows from the block count alone;
 * - the tree over no blocks (an empty file) has the root SHA-256 of nothing.
 * One difference: a leaf's x is the block's own SHA-256, not the block's bytes. The
 * page hashes blocks with WebCrypto, which takes one buffer and cannot be told to
 * prefix a byte; hashing the block as it lies avoids copying every block to put 0x00
 * in front, and the extra 33-byte hash per block costs nothing beside the block.
 *
 * Every block is BLOCK_SIZE bytes except the last, which is whatever is left (1 byte
 * to BLOCK_SIZE); its hash is over its real length, never padded.
 *
 * Blocks are hashed by an injected SHA-256: WebCrypto by default (blockDigest),
 * which Node has too, and app/cli/block-digest-node.ts's node:crypto
 * in the terminal. Leaves and inner nodes, 33 and 65 bytes, are hashed here, at once
 * (noble's SHA-256): WebCrypto's trip to another thread and back costs far more than
 * hashing them, and a proof takes one per level.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { sameBytes } from './auth.ts';

/** SHA-256 of `bytes`, 32 bytes. */
export type Digest = (bytes: Uint8Array) => Promise<Uint8Array>;

/**
 * SHA-256 for blocks: WebCrypto's, which uses the CPU's SHA instructions and runs off
 * the calling thread, roughly 10–18× an incremental hasher in WebAssembly
 * (docs/benchmarks.md, "Block hashing"). A page has it only in a secure context
 * (https, or localhost): one served over plain http at a network address hashes with
 * noble's SHA-256 in JavaScript instead, slower, the same hash.
 */
export const blockDigest: Digest = digestWith(globalThis.crypto as { subtle?: WebDigest } | undefined);

/** The part of WebCrypto used here (the transfer core is built without the DOM's types). */
interface WebDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

/**
 * Below this, a hash is quicker done here than sent to WebCrypto's thread and back:
 * 10,000 files of 1 KiB are 10,000 such trips on each side.
 */
export const SMALL_DIGEST_BYTES = 16 * 1024;

/**
 * SHA-256 by `crypto`'s WebCrypto, or by noble's JavaScript where it has none (outside
 * a secure context), and for inputs under SMALL_DIGEST_BYTES.
 */
export function digestWith(crypto: { subtle?: WebDigest } | undefined): Digest {
  const subtle = crypto?.subtle;
  if (!subtle) return async (bytes) => sha256(bytes);
  return async (bytes) =>
    bytes.length < SMALL_DIGEST_BYTES ? sha256(bytes) : new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** The root of a file of at most one block whose bytes have the SHA-256 `hash`. */
export function rootOfOneBlock(size: number, hash: Uint8Array): Uint8Array {
  if (size > BLOCK_SIZE) throw new RangeError(`a file of ${size} bytes has more than one block`);
  // The tree over no blocks is the SHA-256 of nothing, which is what `hash` is then.
  return size === 0 ? hash : leafHash(hash);
}

/**
 * 256 KiB: the input size WebCrypto hashes fastest on the machines measured
 * (docs/benchmarks.md, "Block hashing"). A block goes in two messages to Chromium
 * (whose largest is 256 KiB, header included) and is the unit refetched.
 */
export const BLOCK_SIZE = 256 * 1024;

const LEAF = 0x00;
const NODE = 0x01;
const HASH_BYTES = 32;

/** How many blocks a file of `size` bytes has. */
export function blockCount(size: number, blockSize = BLOCK_SIZE): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a file size: ${size}`);
  return Math.ceil(size / blockSize);
}

/** The leaf for a block whose SHA-256 is `blockHash`. */
export function leafHash(blockHash: Uint8Array): Uint8Array {
  return sha256(prefixed(LEAF, blockHash));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(prefixed(NODE, left, right));
}

function prefixed(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + parts.length * HASH_BYTES);
  out[0] = prefix;
  parts.forEach((part, i) => {
    if (part.length !== HASH_BYTES) throw new RangeError(`a hash is ${HASH_BYTES} bytes, not ${part.length}`);
    out.set(part, 1 + i * HASH_BYTES);
  });
  return out;
}

/** A whole file's tree: its root, and the levels it proves single blocks from. */
export interface BlockTree {
  /** The Merkle root, 32 bytes. */
  readonly root: Uint8Array;
  readonly blocks: number;
  /** Each block's SHA-256, in order. */
  readonly blockHashes: readonly Uint8Array[];
  /** The sibling hashes from block `index`'s leaf up to the root (RFC 9162's inclusion proof). */
  proveBlock(index: number): Uint8Array[];
}

/**
 * Builds the tree from blocks in the order they are read, keeping only each block's
 * hash: the sender hashes a picked file in the background, one block at a time.
 */
export class BlockTreeBuilder {
  readonly #digest: Digest;
  /** Each block's SHA-256, some perhaps still being computed. */
  readonly #blockHashes: Promise<Uint8Array>[] = [];
  #finished = false;

  constructor(digest: Digest) {
    this.#digest = digest;
  }

  /**
   * Hashes the next block (BLOCK_SIZE bytes; only the last may be shorter). The block
   * takes its place at once, so a reader may hand over the next one before this one's
   * hash is done; the caller must not change the bytes until the returned promise settles.
   */
  addBlock(block: Uint8Array): Promise<void> {
    this.#expectMore();
    if (block.length === 0 || block.length > BLOCK_SIZE) throw new RangeError(`a block is 1 to ${BLOCK_SIZE} bytes, not ${block.length}`);
    const hash = this.#digest(block);
    this.#blockHashes.push(hash);
    return hash.then(() => undefined);
  }

  /** Takes a block already hashed elsewhere (SHA-256 of the block, 32 bytes). */
  addBlockHash(blockHash: Uint8Array): void {
    this.#expectMore();
    if (blockHash.length !== HASH_BYTES) throw new RangeError(`a block hash is ${HASH_BYTES} bytes, not ${blockHash.length}`);
    this.#blockHashes.push(Promise.resolve(blockHash));
  }

  get blocks(): number {
    return this.#blockHashes.length;
  }

  /** The tree over the blocks given so far; the builder takes no more blocks after it. */
  async finish(): Promise<BlockTree> {
    this.#expectMore();
    this.#finished = true;
    return treeFromBlockHashes(await Promise.all(this.#blockHashes));
  }

  #expectMore(): void {
    if (this.#finished) throw new Error('this block tree is already finished');
  }
}

/** The tree over blocks whose SHA-256s are `blockHashes`, in order. */
export function treeFromBlockHashes(blockHashes: readonly Uint8Array[]): BlockTree {
  const hashes = [...blockHashes];
  const levels: Uint8Array[][] = [hashes.map((hash) => leafHash(hash))];
  for (let level = levels[0]!; level.length > 1; ) {
    const pairs: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      // The last node without a partner is carried up unchanged (RFC 6962's split at a power of two).
      pairs.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = pairs;
    levels.push(level);
  }
  const root = hashes.length === 0 ? sha256(new Uint8Array(0)) : levels.at(-1)![0]!;
  return {
    root,
    blocks: hashes.length,
    blockHashes: hashes,
    proveBlock(index) {
      checkIndex(index, hashes.length);
      const proof: Uint8Array[] = [];
      let at = index;
      for (const level of levels.slice(0, -1)) {
        const sibling = at ^ 1;
        if (sibling < level.length) proof.push(level[sibling]!);
        at >>= 1;
      }
      return proof;
    },
  };
}

/** The tree over a whole file held in memory (for the terminal and for tests). */
export async function treeOfBytes(digest: Digest, bytes: Uint8Array): Promise<BlockTree> {
  const builder = new BlockTreeBuilder(digest);
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) await builder.addBlock(bytes.subarray(at, at + BLOCK_SIZE));
  return builder.finish();
}

/**
 * Whether a block whose SHA-256 is `blockHash` is block `index` of the `blocks`-block
 * file whose root is `root`, by `proof` (from proveBlock). `blocks` comes from the
 * file's size in the signed manifest, never from whoever sent the proof. This is
 * RFC 9162 §2.1.3.2, with the leaf made as leafHash makes it.
 */
export function verifyBlock(
  root: Uint8Array,
  blocks: number,
  index: number,
  blockHash: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(index) || index < 0 || index >= blocks) return false;
  if (blockHash.length !== HASH_BYTES || proof.some((hash) => hash.length !== HASH_BYTES)) return false;
  let at = index;
  let last = blocks - 1;
  let hash = leafHash(blockHash);
  for (const sibling of proof) {
    if (last === 0) return false;
    if (at % 2 === 1 || at === last) {
      hash = nodeHash(sibling, hash);
      // A node carried up without a partner skips the levels it was carried through.
      while (at % 2 === 0 && at !== 0) {
        at >>= 1;
        last >>= 1;
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    at >>= 1;
    last >>= 1;
  }
  return last === 0 && sameBytes(hash, root);
}

function checkIndex(index: number, blocks: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= blocks) throw new RangeError(`no block ${index} in a file of ${blocks} blocks`);
}

