/**
 * The block tree of each file a share offers (block-tree.ts), computed at most once:
 * several receivers may download the same files, and the tree is needed before the
 * first block of a file goes (each block goes with its proof). A share hashes its
 * files in the background from the moment they are picked (`hashAll`), one after
 * another, so that the trees are usually there before the first receiver is.
 */
import { BLOCK_SIZE, BlockTreeBuilder, blockDigest, type BlockTree, type Digest } from './block-tree.ts';
import type { FileSource } from './file-source.ts';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Read at a time while hashing: a few blocks, so each read is one trip for several. */
const READ_BYTES = 8 * BLOCK_SIZE;

export class FileTrees {
  readonly #digest: Digest;
  readonly #trees = new Map<FileSource, Promise<BlockTree>>();
  /** The roots already known, in hex, for whoever needs them without waiting. */
  readonly #roots = new Map<FileSource, string>();
  readonly #onroot: ((file: FileSource, root: string) => void) | undefined;

  /** `onroot` hears of each file's root once it is known (a share keeps them, to know re-added files again). */
  constructor(options: { digest?: Digest; onroot?: (file: FileSource, root: string) => void } = {}) {
    this.#digest = options.digest ?? blockDigest;
    this.#onroot = options.onroot;
  }

  /** The root in hex if the tree has been computed; never waits, never starts any work. */
  root(file: FileSource): string | undefined {
    return this.#roots.get(file);
  }

  /**
   * The file's tree, reading the whole file if nobody has yet. The read is shared by
   * every caller, so one caller's `signal` only stops its own wait, never the read.
   */
  of(file: FileSource, signal?: AbortSignal): Promise<BlockTree> {
    let tree = this.#trees.get(file);
    if (!tree) {
      tree = treeOfFile(this.#digest, file);
      this.#trees.set(file, tree);
      tree.then(
        (done) => {
          const root = bytesToHex(done.root);
          this.#roots.set(file, root);
          this.#onroot?.(file, root);
        },
        // A failed read must not poison the cache for the next receiver.
        () => this.#trees.delete(file),
      );
    }
    return signal ? untilAborted(tree, signal) : tree;
  }

  /**
   * Hashes each file in turn, in the background, until `signal` aborts (if given). A
   * file that cannot be read is left for whoever asks for it next, who then hears why.
   */
  async hashAll(files: readonly FileSource[], signal?: AbortSignal): Promise<void> {
    for (const file of files) {
      if (signal?.aborted) return;
      await this.of(file).catch(() => {});
    }
  }
}

async function treeOfFile(digest: Digest, file: FileSource): Promise<BlockTree> {
  const builder = new BlockTreeBuilder(digest);
  for (let offset = 0; offset < file.size; offset += READ_BYTES) {
    const bytes = await file.read(offset, Math.min(file.size, offset + READ_BYTES));
    if (bytes.length !== Math.min(READ_BYTES, file.size - offset)) throw new Error(`${file.name} changed while it was being read`);
    const hashed: Promise<void>[] = [];
    for (let at = 0; at < bytes.length; at += BLOCK_SIZE) hashed.push(builder.addBlock(bytes.subarray(at, at + BLOCK_SIZE)));
    // The next read waits for these hashes: a file is never all in memory at once.
    await Promise.all(hashed);
  }
  return builder.finish();
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
