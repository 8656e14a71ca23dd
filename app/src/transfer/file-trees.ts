/**
 * The block tree of each file a share offers (block-tree.ts), computed at most once:
 * several receivers may download the same files, and the tree is needed before the
 * first block of a file goes (each block goes with its proof). A share hashes its
 * files in the background from the moment they are picked (`hashAll`), one after
 * another, so that the trees are usually there before the first receiver is.
 *
 * A file of at most one block is the exception while a transfer reads the share's
 * files: its tree is not needed in advance (it goes whole, with its bytes' SHA-256,
 * from which its root follows), and a background read of it would only compete with
 * the transfer's own reads, 10,000 small files read twice over. The background leaves
 * such files for when no transfer is reading, and a sender that read one whole tells
 * its tree here (`oneBlockRead`), so that it need not be read again at all.
 */
import { BLOCK_SIZE, BlockTreeBuilder, blockDigest, rootOfOneBlock, treeFromBlockHashes, type BlockTree, type Digest } from './block-tree.ts';
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
  /** Set while a transfer reads the share's files: resolves once none does. */
  #transfers: { over: Promise<void>; end: () => void } | null = null;

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
      this.#remember(file, tree);
    }
    return signal ? untilAborted(tree, signal) : tree;
  }

  /**
   * A file of at most one block was read whole (by a sender, to send it) and its bytes'
   * SHA-256 is `hash`: whether that agrees with the file's root, if known; if not, the
   * tree follows from the hash, with no read of its own. False means the file changed
   * on disk since its root was made. A tree still being read is left to finish.
   */
  oneBlockRead(file: FileSource, hash: Uint8Array): boolean {
    const root = bytesToHex(rootOfOneBlock(file.size, hash));
    const known = this.#roots.get(file);
    if (known !== undefined) return root === known;
    if (this.#trees.has(file)) return true;
    const tree = treeFromBlockHashes(file.size === 0 ? [] : [hash]);
    this.#trees.set(file, Promise.resolve(tree));
    this.#learned(file, tree);
    return true;
  }

  /**
   * Whether a transfer is reading the share's files (ShareHost says so, as its
   * receivers start and stop): meanwhile `hashAll` leaves files of one block alone.
   */
  transferring(on: boolean): void {
    if (on && !this.#transfers) {
      let end = () => {};
      const over = new Promise<void>((resolve) => (end = resolve));
      this.#transfers = { over, end };
    } else if (!on && this.#transfers) {
      this.#transfers.end();
      this.#transfers = null;
    }
  }

  /**
   * Hashes each file in turn, in the background, until `signal` aborts (if given). A
   * file of at most one block met while a transfer reads is hashed once none does,
   * unless a sender told its tree by then. A file that cannot be read is left for
   * whoever asks for it next, who then hears why.
   */
  async hashAll(files: readonly FileSource[], signal?: AbortSignal): Promise<void> {
    const later: FileSource[] = [];
    for (const file of files) {
      if (signal?.aborted) return;
      if (this.#transfers && file.size <= BLOCK_SIZE) later.push(file);
      else await this.of(file).catch(() => {});
    }
    for (const file of later) {
      while (this.#transfers && !signal?.aborted) await untilAborted(this.#transfers.over, signal).catch(() => {});
      if (signal?.aborted) return;
      await this.of(file).catch(() => {});
    }
  }

  #remember(file: FileSource, tree: Promise<BlockTree>): void {
    this.#trees.set(file, tree);
    tree.then(
      (done) => this.#learned(file, done),
      // A failed read must not poison the cache for the next receiver.
      () => this.#trees.delete(file),
    );
  }

  #learned(file: FileSource, tree: BlockTree): void {
    const root = bytesToHex(tree.root);
    this.#roots.set(file, root);
    this.#onroot?.(file, root);
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

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
