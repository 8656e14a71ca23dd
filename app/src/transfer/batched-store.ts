/**
 * The one durable, batched ReceiveStore (store.ts): what the browser's store
 * (storage/received-bytes.ts) and the terminal's (cli/file-store.ts) share. Each
 * brings only its I/O, as a StoreBackend.
 *
 * Writes and verified marks gather until about COMMIT_BYTES have come (or, if the
 * backend asks, until the first has waited `lingerMs`), then go to the backend as one
 * batch. One batch is committed while the next gathers, so the disk's latency (a
 * sync, an IndexedDB transaction) overlaps receiving instead of stalling it; batches
 * commit strictly in order, and a write that fills a batch waits for the one before.
 * A verified mark travels in the batch of the writes that came before it, so it is
 * never committed before the bytes it vouches for.
 *
 * Stored means durable: a batch's ranges are the store's only once the backend has
 * committed it (bytes first, then the record that claims them), so the store never
 * claims bytes that a crash could still lose.
 *
 * The first failure latches: no later batch is committed, and every later write,
 * settle or flush throws it, as the backend words it (a full disk as StorageFullError).
 */
import type { FileDescription } from './messages.ts';
import { addRange, type RangeList } from './ranges.ts';
import type { Pin, ReceiveStore } from './store.ts';

/** Chunks are gathered to about this size before they are committed. */
export const COMMIT_BYTES = 1024 * 1024;

/** Bytes received for `file` at `offset`. */
export interface Piece {
  file: number;
  offset: number;
  bytes: Uint8Array;
}

/** What a file's stored ranges were before a batch, and are once it is committed. */
export interface RangeChange {
  before: RangeList;
  after: RangeList;
}

export interface Batch {
  pieces: readonly Piece[];
  /** Files verified since the batch before, with their roots: recorded with these bytes, never before them. */
  verified: readonly Pin[];
  /** Every file the pieces touch. Computed before the backend may take the pieces' buffers. */
  ranges: ReadonlyMap<number, RangeChange>;
}

/** What the store knows when it opens: each file's stored ranges, verified root and pin. */
export interface StoredState {
  ranges: RangeList[];
  verified: (string | null)[];
  pins: (string | null)[];
}

/** The I/O under a BatchedStore. Whatever it throws reaches the session through `failure`. */
export interface StoreBackend {
  /**
   * Makes `batch` durable: its bytes written (and synced) first, then the record that
   * claims the new ranges and the verified roots, all of it or none. The store counts
   * the ranges as stored once this resolves.
   */
  commit(batch: Batch): Promise<void>;
  /** Records announced roots durably. */
  pin(pins: readonly Pin[]): Promise<void>;
  /** The error the session sees for `error`: a full disk or quota as StorageFullError. */
  failure(error: unknown): Error;
}

export class BatchedStore implements ReceiveStore {
  readonly files: readonly FileDescription[];
  readonly #backend: StoreBackend;
  readonly #lingerMs: number | null;
  /** What is durably stored, and nothing more. */
  readonly #ranges: RangeList[];
  /** Each file's verified root as soon as the session settles it, committed or not. */
  readonly #verified: (string | null)[];
  readonly #pins: (string | null)[];
  #pieces: Piece[] = [];
  #marks: Pin[] = [];
  #pendingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #committing: Promise<void> = Promise.resolve();
  #failure: Error | null = null;

  /** `lingerMs`: commit what has gathered once the first of it has waited this long (data that comes slowly); never if null. */
  constructor(files: readonly FileDescription[], state: StoredState, backend: StoreBackend, lingerMs: number | null = null) {
    this.files = files;
    this.#ranges = [...state.ranges];
    this.#verified = [...state.verified];
    this.#pins = [...state.pins];
    this.#backend = backend;
    this.#lingerMs = lingerMs;
  }

  ranges(file: number): RangeList {
    return this.#ranges[file]!;
  }

  isVerified(file: number): boolean {
    return this.#verified[file] != null;
  }

  pinned(file: number): string | null {
    return this.#pins[file] ?? this.#verified[file] ?? null;
  }

  async write(file: number, offset: number, bytes: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    this.#pieces.push({ file, offset, bytes });
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes < COMMIT_BYTES) return this.#commitSoon();
    // At most one batch in flight: wait for it, then send this one on its way.
    await this.#committing;
    this.#throwIfFailed();
    void this.#startCommit();
  }

  async flush(): Promise<void> {
    await this.#startCommit();
    this.#throwIfFailed();
  }

  async settle(file: number, root: string): Promise<void> {
    this.#throwIfFailed();
    this.#verified[file] = root;
    this.#marks.push({ file, root });
    return this.#commitSoon();
  }

  async pin(pins: readonly Pin[]): Promise<void> {
    if (pins.length === 0) return;
    // Awaited on its own: durable before any byte it vouches for is accepted.
    await this.#backend.pin(pins).catch(this.#rethrow);
    for (const { file, root } of pins) this.#pins[file] = root;
  }

  /** Drops what has not been committed yet and waits for the batch under way: for a store about to be deleted. */
  async dropPending(): Promise<void> {
    this.#pieces = [];
    this.#marks = [];
    this.#pendingBytes = 0;
    this.#stopTimer();
    await this.#committing;
  }

  #commitSoon(): void {
    if (this.#lingerMs !== null) this.#timer ??= setTimeout(() => void this.#startCommit(), this.#lingerMs);
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends what has gathered on its way behind the batch before; resolves when it is done, never rejects. */
  #startCommit(): Promise<void> {
    this.#stopTimer();
    if (this.#pieces.length === 0 && this.#marks.length === 0) return this.#committing;
    const pieces = this.#pieces.splice(0);
    const marks = this.#marks.splice(0);
    this.#pendingBytes = 0;
    this.#committing = this.#committing
      .then(() => (this.#failure ? undefined : this.#commit(pieces, marks)))
      .catch((error: unknown) => {
        this.#failure ??= this.#backend.failure(error);
      });
    return this.#committing;
  }

  async #commit(pieces: Piece[], verified: Pin[]): Promise<void> {
    const ranges = new Map<number, RangeChange>();
    for (const { file, offset, bytes } of pieces) {
      const before = this.#ranges[file]!;
      const after = addRange(ranges.get(file)?.after ?? before, offset, offset + bytes.length);
      ranges.set(file, { before, after });
    }
    await this.#backend.commit({ pieces, verified, ranges });
    for (const [file, { after }] of ranges) this.#ranges[file] = after;
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  readonly #rethrow = (error: unknown): never => {
    throw this.#backend.failure(error);
  };
}
