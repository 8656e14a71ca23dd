/**
 * The block tree (transfer/block-tree.ts) of a file on disk or of a stream, read a
 * block at a time: only one block is held at once, so a file of any size is hashed
 * in the same little memory (plus 32 bytes of tree per 256 KiB block). `ferry hash`
 * prints its root; `ferry receive` can check a file it stored against the root it
 * was promised the same way.
 */
import { createReadStream } from 'node:fs';
import { BLOCK_SIZE, BlockTreeBuilder, type BlockTree } from '../src/transfer/block-tree.ts';
import { nodeDigest } from './block-digest-node.ts';

/**
 * The tree of the file at `path`. Rejects with the file system's error (its `code`:
 * ENOENT, EACCES, EISDIR…) if the file cannot be opened or read, or with the
 * signal's reason once `signal` aborts.
 */
export function treeOfFile(path: string, signal?: AbortSignal): Promise<BlockTree> {
  // Reads of BLOCK_SIZE arrive as whole blocks, so blocksOf passes them on uncopied.
  return treeOfStream(createReadStream(path, { highWaterMark: BLOCK_SIZE, signal }), signal);
}

/** The tree of the bytes `chunks` yields (standard input, a pipe), however they are cut. */
export async function treeOfStream(chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<BlockTree> {
  const builder = new BlockTreeBuilder(nodeDigest);
  try {
    for await (const block of blocksOf(chunks)) {
      signal?.throwIfAborted();
      // Awaited before the next block is taken: blocksOf reuses its buffer.
      await builder.addBlock(block);
    }
  } catch (error) {
    // A file stream stopped by the signal fails with its own AbortError; say why it stopped.
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
  signal?.throwIfAborted();
  return builder.finish();
}

/**
 * The bytes of `chunks` cut into blocks of `size`, the last one shorter. A chunk that
 * holds a whole block where one begins is passed on as it is; anything else is
 * gathered into one buffer, which the next block overwrites, so each block must be
 * used up before the next is asked for.
 */
export async function* blocksOf(chunks: AsyncIterable<Uint8Array>, size = BLOCK_SIZE): AsyncGenerator<Uint8Array, void, undefined> {
  const gathered = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      if (filled === 0 && chunk.length - at >= size) {
        yield chunk.subarray(at, at + size);
        at += size;
        continue;
      }
      const taken = Math.min(size - filled, chunk.length - at);
      gathered.set(chunk.subarray(at, at + taken), filled);
      filled += taken;
      at += taken;
      if (filled === size) {
        yield gathered;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield gathered.subarray(0, filled);
}
