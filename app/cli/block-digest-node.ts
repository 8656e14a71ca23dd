/** SHA-256 for the block tree (transfer/block-tree.ts) in the terminal: node:crypto. */
import { createHash } from 'node:crypto';
import type { Digest } from '../src/transfer/block-tree.ts';

export const nodeDigest: Digest = (bytes) => Promise.resolve(new Uint8Array(createHash('sha256').update(bytes).digest()));
