/**
 * The terminal client's ReceiveStore: received files as plain files in a folder, and
 * a transfer cut short resumed where it stopped, by the same session the browser runs.
 *
 * Each file's bytes gather in a partial file beside its place (received-places.ts);
 * what of them is on disk, the hashes and each file's place are in the transfer's
 * journal (store-journal.ts). Bytes are written, then synced, and only then claimed
 * in the journal, which is replaced atomically: wherever the process is killed, the
 * journal claims nothing that is not on disk. A verified file's hash is recorded before
 * the file moves into place, and its place before it moves there, so opening the store
 * again finishes a move that was cut short. No file is opened through a link, nor
 * through a folder that became one (received-places.ts checked).
 */
import { resolve } from 'node:path';
import type { FileDescription } from '../src/transfer/messages.ts';
import { addRange, isComplete, type RangeList } from '../src/transfer/ranges.ts';
import type { Pin, ReceiveStore } from '../src/transfer/store.ts';
import { PART_SUFFIX, ReceivedPlaces, splitRelative, type RelativePath } from './received-places.ts';
import {
  diskError,
  errorCode,
  ignoring,
  IS_LINK,
  moveWithoutOverwrite,
  nodeDisk,
  OPEN,
  openUnfollowed,
  UnsafePlaceError,
  writePieces,
  type Disk,
  type OpenFile,
  type Written,
} from './store-disk.ts';
import { StoreJournal, type TransferState } from './store-journal.ts';

/** Written bytes are synced and recorded once about this many have gathered, as in the browser (received-bytes.ts)… */
export const COMMIT_BYTES = 1024 * 1024;
/** …or once the first of them has waited this long, when data comes slowly. */
const COMMIT_MS = 1000;
/** Files written, synced or moved at once: a batch of many small files must not run out of file handles. */
const PARALLEL_FILES = 16;
const READ_BYTES = 4 * 1024 * 1024;

export interface FileStore extends ReceiveStore {
  /** Files verified on an earlier run, already in their place. */
  readonly verifiedBefore: readonly number[];
  /** Where `file` is, once verified and moved into its place; until then null. */
  savedPath(file: number): string | null;
  /** Everything committed (as flush) and every file closed; the store is not used again. */
  close(): Promise<void>;
  /**
   * Removes the transfer's journal and its partial files, so that the folder holds just
   * the files received whole: for a transfer that is done, or one to start over.
   * Bytes not yet committed are dropped.
   */
  delete(): Promise<void>;
}

/**
 * Opens transfer `transfer` (an id safe in a file name, such as the link's peer id)
 * into folder `dir`, made if need be. A new transfer takes `files`; one begun here
 * before keeps the files it began with, as `files`, and the session holds the sender
 * to them (pins.ts changedFiles): a sender whose files changed is not mixed in.
 */
export async function openFileStore(dir: string, transfer: string, files: readonly FileDescription[], disk: Disk = nodeDisk): Promise<FileStore> {
  const root = resolve(dir);
  try {
    await disk.mkdir(root, { recursive: true });
    const journal = new StoreJournal(root, transfer, disk);
    const places = new ReceivedPlaces(root, disk);
    let state = await journal.read();
    if (!state) {
      const paths = await places.plan(files.map((file) => file.name));
      state = { files: [...files], stored: paths.map((path) => ({ path, part: path + PART_SUFFIX, ranges: [], pin: null, sha256: null })) };
      // Before any partial file is made: every file of ours in the folder is in the journal.
      await journal.save(state);
    }
    const store = new FolderStore(state, journal, places, disk);
    await store.resume();
    return store;
  } catch (error) {
    throw diskError(error);
  }
}

interface Piece extends Written {
  file: number;
}

interface Mark {
  file: number;
  sha256: string;
}

class FolderStore implements FileStore {
  readonly files: readonly FileDescription[];
  readonly verifiedBefore: readonly number[];
  /** What is durably on disk, and nothing more: what the journal is written from. */
  readonly #state: TransferState;
  readonly #journal: StoreJournal;
  readonly #places: ReceivedPlaces;
  readonly #disk: Disk;
  /** Each file's verified SHA-256 as soon as the session settles it, committed or not. */
  readonly #verified: (string | null)[];
  /** Verified files moved from their partial file into their place. */
  readonly #placed = new Set<number>();
  /** Files being received stay open between batches. */
  readonly #writers = new Map<number, Promise<OpenFile>>();
  // Writes and verified marks gather here until a batch is committed; a mark is never
  // recorded before the bytes it vouches for.
  #pieces: Piece[] = [];
  #marks: Mark[] = [];
  #pendingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  // One batch is committed while the next gathers, so syncing overlaps receiving.
  // Batches commit in order; a failed one is reported by the next write, settle or flush.
  #committing: Promise<void> = Promise.resolve();
  #failure: Error | null = null;

  constructor(state: TransferState, journal: StoreJournal, places: ReceivedPlaces, disk: Disk) {
    this.files = state.files;
    this.#state = state;
    this.#journal = journal;
    this.#places = places;
    this.#disk = disk;
    this.#verified = state.stored.map((entry) => entry.sha256);
    this.verifiedBefore = this.#indices().filter((file) => this.#verified[file] !== null);
  }

  /**
   * Takes up what is on disk: verified files whose move was cut short are moved, the
   * ranges of the others are held to what their partial files hold, and missing
   * partial files are made.
   */
  async resume(): Promise<void> {
    const missing: number[] = [];
    await inParallel(this.#indices(), async (file) => {
      const entry = this.#state.stored[file]!;
      const size = await this.#sizeOf(entry.part);
      if (entry.sha256 !== null) {
        if (size === null) this.#placed.add(file);
        else await this.#place(file);
      } else if (size === null) {
        entry.ranges = [];
        missing.push(file);
      } else {
        entry.ranges = within(entry.ranges, size);
      }
    });
    await inParallel(missing, (file) => this.#makePartial(file));
  }

  ranges(file: number): RangeList {
    return this.#state.stored[file]!.ranges;
  }

  isVerified(file: number): boolean {
    return this.#verified[file] !== null;
  }

  pinned(file: number): string | null {
    return this.#state.stored[file]!.pin ?? this.#verified[file] ?? null;
  }

  savedPath(file: number): string | null {
    return this.#placed.has(file) ? this.#places.absolute(this.#state.stored[file]!.path) : null;
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

  async settle(file: number, sha256: string | null): Promise<void> {
    this.#throwIfFailed();
    if (sha256 !== null) {
      this.#verified[file] = sha256;
      this.#marks.push({ file, sha256 });
      return this.#commitSoon();
    }
    await this.flush();
    try {
      this.#state.stored[file]!.ranges = [];
      // The journal first: it may claim less than the disk holds, never more.
      await this.#journal.save(this.#state);
      await (await this.#writer(file)).truncate(0);
    } catch (error) {
      throw diskError(error);
    }
  }

  async pin(hashes: readonly Pin[]): Promise<void> {
    if (hashes.length === 0) return;
    for (const { file, sha256 } of hashes) this.#state.stored[file]!.pin = sha256;
    // Awaited on its own: on disk before any byte it vouches for is accepted.
    await this.#journal.save(this.#state).catch((error: unknown) => {
      throw diskError(error);
    });
  }

  async *read(file: number): AsyncIterable<Uint8Array> {
    await this.flush();
    const entry = this.#state.stored[file]!;
    const size = this.files[file]!.size;
    const reader = await this.#open(this.#placed.has(file) ? entry.path : entry.part, OPEN.read);
    try {
      for (let at = 0; at < size; ) {
        const buffer = new Uint8Array(Math.min(READ_BYTES, size - at));
        const { bytesRead } = await reader.read(buffer, 0, buffer.length, at);
        // A file shorter than it should be: what is missing fails the hash.
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
        at += bytesRead;
      }
    } finally {
      await reader.close();
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.#closeWriters();
    }
  }

  async delete(): Promise<void> {
    this.#pieces = [];
    this.#marks = [];
    await this.#committing;
    await this.#closeWriters();
    try {
      const unplaced = this.#indices().filter((file) => !this.#placed.has(file));
      await inParallel(unplaced, async (file) => this.#disk.unlink(await this.#places.checked(this.#state.stored[file]!.part)).catch(ignoring('ENOENT')));
      await this.#journal.delete();
    } catch (error) {
      throw diskError(error);
    }
  }

  #commitSoon(): void {
    this.#timer ??= setTimeout(() => void this.#startCommit(), COMMIT_MS);
  }

  #startCommit(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pieces.length === 0 && this.#marks.length === 0) return this.#committing;
    const pieces = this.#pieces.splice(0);
    const marks = this.#marks.splice(0);
    this.#pendingBytes = 0;
    this.#committing = this.#committing
      .then(() => (this.#failure ? undefined : this.#commitBatch(pieces, marks)))
      .catch((error: unknown) => {
        this.#failure ??= diskError(error);
      });
    return this.#committing;
  }

  async #commitBatch(pieces: readonly Piece[], marks: readonly Mark[]): Promise<void> {
    const byFile = new Map<number, Piece[]>();
    for (const piece of pieces) {
      const list = byFile.get(piece.file);
      if (list) list.push(piece);
      else byFile.set(piece.file, [piece]);
    }
    await inParallel([...byFile], async ([file, list]) => {
      const writer = await this.#writer(file);
      await writePieces(writer, list);
      await writer.datasync();
    });
    // Synced: now, and only now, the journal may claim them.
    const stored = this.#state.stored;
    for (const { file, offset, bytes } of pieces) stored[file]!.ranges = addRange(stored[file]!.ranges, offset, offset + bytes.length);
    for (const { file, sha256 } of marks) stored[file]!.sha256 = sha256;
    await this.#journal.save(this.#state);
    // A file stored whole receives nothing more (unless it fails its hash): it is
    // closed, and once verified it goes to its place.
    const whole = [...byFile.keys()].filter((file) => isComplete(stored[file]!.ranges, this.files[file]!.size));
    await inParallel([...new Set([...whole, ...marks.map(({ file }) => file)])], async (file) => {
      await this.#closeWriter(file);
      if (stored[file]!.sha256 !== null) await this.#place(file);
    });
  }

  /**
   * Moves a verified file from its partial file to its place, or, if something else
   * has taken that name meanwhile, to the next free one: the new place is in the journal
   * before the file moves there.
   */
  async #place(file: number): Promise<void> {
    const entry = this.#state.stored[file]!;
    while (!(await moveWithoutOverwrite(this.#disk, await this.#places.checked(entry.part), await this.#places.checked(entry.path)))) {
      entry.path = await this.#places.claim(...splitRelative(entry.path));
      await this.#journal.save(this.#state);
    }
    this.#placed.add(file);
  }

  /**
   * Makes the partial file the journal names. Only a new one: a file already there
   * under that name, made since the journal was written, is not ours, so the file
   * takes the next free name.
   */
  async #makePartial(file: number): Promise<void> {
    const entry = this.#state.stored[file]!;
    for (;;) {
      try {
        await (await this.#open(entry.part, OPEN.create)).close();
        return;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      entry.path = await this.#places.claim(...splitRelative(entry.path));
      entry.part = entry.path + PART_SUFFIX;
      await this.#journal.save(this.#state);
    }
  }

  #writer(file: number): Promise<OpenFile> {
    let writer = this.#writers.get(file);
    if (!writer) this.#writers.set(file, (writer = this.#open(this.#state.stored[file]!.part, OPEN.readWrite)));
    return writer;
  }

  async #open(path: RelativePath, flags: number): Promise<OpenFile> {
    return openUnfollowed(this.#disk, await this.#places.checked(path), flags);
  }

  async #closeWriter(file: number): Promise<void> {
    const writer = this.#writers.get(file);
    this.#writers.delete(file);
    await (await writer)?.close();
  }

  /** Closes every file, whatever happened to each: a failure was already reported by the batch that met it. */
  async #closeWriters(): Promise<void> {
    clearTimeout(this.#timer);
    await Promise.allSettled([...this.#writers.keys()].map((file) => this.#closeWriter(file)));
  }

  /** The size of our file at `path`, null if there is none; a link there is not ours, and refused. */
  async #sizeOf(path: RelativePath): Promise<number | null> {
    const absolute = await this.#places.checked(path);
    try {
      const facts = await this.#disk.lstat(absolute, { bigint: true });
      if (facts.isSymbolicLink()) throw new UnsafePlaceError(absolute, IS_LINK);
      return Number(facts.size);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  #indices(): number[] {
    return this.files.map((_, file) => file);
  }
}

/** The part of `ranges` within a file of `size` bytes. */
function within(ranges: RangeList, size: number): RangeList {
  return ranges.flatMap(([start, end]) => (start < size ? [[start, Math.min(end, size)] as const] : []));
}

/** `task` for each item, at most PARALLEL_FILES at a time; after a failure, no new one starts, and the first failure is thrown. */
async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      await task(items[next++]!).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_FILES, items.length) }, worker));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
