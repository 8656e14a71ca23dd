/**
 * SHA-256 for the block tree (transfer/block-tree.ts) in the page: WebCrypto, which
 * uses the CPU's SHA instructions and runs off the main thread (roughly 10–18× the
 * incremental hash-wasm hasher, docs/benchmarks.md "Block hashing").
 */
import type { Digest } from '../transfer/block-tree.ts';

export const webDigest: Digest = async (bytes) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
