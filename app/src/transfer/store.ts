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
  /** True once every block of `file` was stored, each checked against its root. */
  isVerified(file: number): boolean;
  /**
   * Stores bytes at `offset` and records them as received. May take ownership of
   * `bytes`. A store may commit in the background: a failure then surfaces at a later
   * write, settle or flush.
   */
  write(file: number, offset: number, bytes: Uint8Array): Promise<void>;
  /** Everything written and settled so far, committed; fails if any of it could not be. */
  flush(): Promise<void>;
  /** Every block of the file is stored: it is verified, with its root. */
  settle(file: number, root: string): Promise<void>;
  /**
   * The root the sender first announced for `file` (or the one it was verified with),
   * else null: the sender may send that file again, not another.
   */
  pinned(file: number): string | null;
  /** Records announced roots, durably, before any block checked against them is accepted. */
  pin(roots: readonly Pin[]): Promise<void>;
}

/** The root of `file`'s block tree (block-tree.ts), in hex. */
export interface Pin {
  file: number;
  root: string;
}

/** Raised by a store that has run out of room; the transfer stops, what is stored stays. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  readonly failure: Failure = { code: 'storage-full' };
}
