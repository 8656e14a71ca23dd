/**
 * The SHA-256 of each file a share offers, computed at most once: several receivers
 * may download the same files, and only the first pass over a file should pay for
 * hashing it.
 */
import { createSha256 } from './hash.ts';
import type { FileSource } from './file-source.ts';

const READ_BLOCK = 4 * 1024 * 1024;

export class FileHashes {
  readonly #known = new Map<FileSource, Promise<string>>();
  /** The hashes already computed, for whoever needs them without waiting. */
  readonly #computed = new Map<FileSource, string>();

  /** `onhash` hears of each hash once it is known (the sender keeps them to check re-added files). */
  constructor(private readonly onhash?: (file: FileSource, sha256: string) => void) {}

  /** The hash if it is known or being computed, without starting any work. */
  peek(file: FileSource): Promise<string> | undefined {
    return this.#known.get(file);
  }

  /** The hash if it has been computed; never waits, never starts any work. */
  computed(file: FileSource): string | undefined {
    return this.#computed.get(file);
  }

  /** Records a hash computed elsewhere (by a sender that read the whole file in order). */
  remember(file: FileSource, sha256: string): void {
    if (this.#known.has(file)) return;
    this.#known.set(file, Promise.resolve(sha256));
    this.#computed.set(file, sha256);
    this.onhash?.(file, sha256);
  }

  /**
   * The file's hash, reading the whole file if nobody has yet. The read is shared by
   * every caller, so one caller's `signal` only stops its own wait, never the read.
   */
  of(file: FileSource, signal: AbortSignal): Promise<string> {
    let hash = this.#known.get(file);
    if (!hash) {
      hash = readAndHash(file);
      this.#known.set(file, hash);
      hash.then(
        (sha256) => {
          this.#computed.set(file, sha256);
          this.onhash?.(file, sha256);
        },
        // A failed read must not poison the cache for the next receiver.
        () => this.#known.delete(file),
      );
    }
    return untilAborted(hash, signal);
  }
}

async function readAndHash(file: FileSource): Promise<string> {
  const hasher = await createSha256();
  for (let offset = 0; offset < file.size; offset += READ_BLOCK) {
    hasher.update(await file.read(offset, Math.min(file.size, offset + READ_BLOCK)));
  }
  return hasher.digest();
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
