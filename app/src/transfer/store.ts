/**
 * Where a receiver keeps what it has received, durably, so that a dropped
 * connection or a reload resumes instead of starting over. The browser provides it
 * (Origin Private File System or IndexedDB, with progress records in IndexedDB);
 * unit tests use an in-memory one.
 */
import type { Failure } from './failure.ts';
import type { FileDescription } from './messages.ts';
import type { RangeList } from './ranges.ts';

export interface ReceiveStore {
  /** The files the stored bytes belong to: the sender's manifest when this transfer began. */
  readonly files: readonly FileDescription[];
  /** Byte ranges of `file` already stored. */
  ranges(file: number): RangeList;
  /** True once `file` was verified against the sender's SHA-256. */
  isVerified(file: number): boolean;
  /**
   * Stores bytes at `offset` and records them as received. May take ownership of
   * `bytes`. A store may commit in the background: a failure then surfaces at a later
   * write, settle or flush.
   */
  write(file: number, offset: number, bytes: Uint8Array): Promise<void>;
  /** Everything written and settled so far, committed; fails if any of it could not be. */
  flush(): Promise<void>;
  /** The stored file from its first byte, for hashing a file not received in one pass. */
  read(file: number): AsyncIterable<Uint8Array>;
  /** The file verified (its hash) or failed (null: forget its bytes, they are wrong). */
  settle(file: number, sha256: string | null): Promise<void>;
  /**
   * The SHA-256 the sender first announced for `file` (or the one it was verified
   * with), else null. It stays through a failed verification: the sender may send
   * that file again, not another.
   */
  pinned(file: number): string | null;
  /** Records announced hashes, durably, before any byte that depends on them is accepted. */
  pin(hashes: readonly Pin[]): Promise<void>;
}

export interface Pin {
  file: number;
  sha256: string;
}

/** Raised by a store that has run out of room; the transfer stops, what is stored stays. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  readonly failure: Failure = { code: 'storage-full' };
}
