/**
 * The terminal client's ReceiveStore: received files as plain files in a folder, and
 * a transfer cut short resumed where it stopped, by the same session the browser runs.
 * It is the same batched store as the browser's (transfer/batched-store.ts), over the disk.
 *
 * Each file's bytes gather in a partial file beside its place (received-places.ts);
 * what of them is on disk, the roots and each file's place are in the transfer's
 * journal (store-journal.ts). Bytes are written, then synced, and only then claimed
 * in the journal, which is replaced atomically: wherever the process is killed, the
 * journal claims nothing that is not on disk. A verified file's root is recorded before
 * the file moves into place, and its place before it moves there, so opening the store
 * again finishes a move that was cut short. No file is opened through a link, nor
 * through a folder that became one (received-places.ts checked).
 */
import { resolve } from 'node:path';
import { BatchedStore, type Batch, type Piece, type StoreBackend, type StoredState } from '../src/transfer/batched-store.ts';
import type { FileDescription } from '../src/transfer/messages.ts';
import { isComplete, type RangeList } from '../src/transfer/ranges.ts';
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
} from './store-disk.ts';
import { StoreJournal, type TransferState } from './store-journal.ts';

/** Written bytes are synced and recorded once COMMIT_BYTES have gathered, as in the browser, or once the first of them has waited this long, when data comes slowly. */
const COMMIT_MS = 1000;
/** Files written, synced or moved at once: a batch of many small files must not run out of file handles. */
const PARALLEL_FILES = 16;

export interface FileStore extends ReceiveStore {
  /** Files verified on an earlier run, already in their place. */
  readonly verifiedBefore: readonly number[];
  /** Where `file` is, once verified and moved into its place; until then null. */
  savedPath(file: number): string | null;
  /** Everything committed (as flush) and every file closed; the store is not used again. */
  close(): Promise<void>;
  /**
   * Deletes the transfer's journal and its partial files, so that the folder holds just
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
      state = { files: [...files], stored: paths.map((path) => ({ path, part: path + PART_SUFFIX, ranges: [], pin: null, root: null })) };
      // Before any partial file is made: every file of ours in the folder is in the journal.
      await journal.save(state);
    }
    const verifiedBefore = indices(state.files).filter((file) => state.stored[file]!.root !== null);
    const folder = new FolderBackend(state, journal, places, disk);
    await folder.resume();
    return new FolderStore(folder, verifiedBefore);
  } catch (error) {
    throw diskError(error);
  }
}

/** The terminal's ReceiveStore: the one batched store over a folder, and what the terminal needs besides. */
class FolderStore extends BatchedStore implements FileStore {
  readonly verifiedBefore: readonly number[];
  readonly #folder: FolderBackend;

  constructor(folder: FolderBackend, verifiedBefore: readonly number[]) {
    super(folder.state.files, folder.storedState(), folder, COMMIT_MS);
    this.#folder = folder;
    this.verifiedBefore = verifiedBefore;
  }

  savedPath(file: number): string | null {
    return this.#folder.savedPath(file);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.#folder.closeWriters();
    }
  }

  async delete(): Promise<void> {
    await this.dropPending();
    await this.#folder.closeWriters();
    try {
      await this.#folder.delete();
    } catch (error) {
      throw diskError(error);
    }
  }
}

/** The terminal's I/O under the store: each file's bytes in its partial file, what of them is on disk in the journal. */
class FolderBackend implements StoreBackend {
  /** The journal's content: each file's place and what of it is durably on disk, and nothing more. */
  readonly state: TransferState;
  readonly #journal: StoreJournal;
  readonly #places: ReceivedPlaces;
  readonly #disk: Disk;
  /** Verified files moved from their partial file into their place. */
  readonly #placed = new Set<number>();
  /** Files being received stay open between batches. */
  readonly #writers = new Map<number, Promise<OpenFile>>();

  constructor(state: TransferState, journal: StoreJournal, places: ReceivedPlaces, disk: Disk) {
    this.state = state;
    this.#journal = journal;
    this.#places = places;
    this.#disk = disk;
  }

  /**
   * Takes up what is on disk: verified files whose move was cut short are moved, the
   * ranges of the others are held to what their partial files hold, and missing
   * partial files are made.
   */
  async resume(): Promise<void> {
    const missing: number[] = [];
    await inParallel(indices(this.state.files), async (file) => {
      const entry = this.state.stored[file]!;
      const size = await this.#sizeOf(entry.part);
      if (entry.root !== null) {
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

  /** What the journal says is stored, once resumed. */
  storedState(): StoredState {
    const stored = this.state.stored;
    return { ranges: stored.map((entry) => entry.ranges), verified: stored.map((entry) => entry.root), pins: stored.map((entry) => entry.pin) };
  }

  savedPath(file: number): string | null {
    return this.#placed.has(file) ? this.#places.absolute(this.state.stored[file]!.path) : null;
  }

  async commit({ pieces, verified, ranges }: Batch): Promise<void> {
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
    const stored = this.state.stored;
    for (const [file, { after }] of ranges) stored[file]!.ranges = after;
    for (const { file, root } of verified) stored[file]!.root = root;
    await this.#journal.save(this.state);
    // A file stored whole receives nothing more: it is closed, and once verified it goes to its place.
    const whole = [...ranges.keys()].filter((file) => isComplete(stored[file]!.ranges, this.state.files[file]!.size));
    await inParallel([...new Set([...whole, ...verified.map(({ file }) => file)])], async (file) => {
      await this.#closeWriter(file);
      if (stored[file]!.root !== null) await this.#place(file);
    });
  }

  /** Awaited on its own: on disk before any byte it vouches for is accepted. */
  async pin(pins: readonly Pin[]): Promise<void> {
    for (const { file, root } of pins) this.state.stored[file]!.pin = root;
    await this.#journal.save(this.state);
  }

  failure(error: unknown): Error {
    return diskError(error);
  }

  /** Deletes the partial files of every file not in its place, then the journal. */
  async delete(): Promise<void> {
    const unplaced = indices(this.state.files).filter((file) => !this.#placed.has(file));
    await inParallel(unplaced, async (file) => this.#disk.unlink(await this.#places.checked(this.state.stored[file]!.part)).catch(ignoring('ENOENT')));
    await this.#journal.delete();
  }

  /**
   * Moves a verified file from its partial file to its place, or, if something else
   * has taken that name meanwhile, to the next free one: the new place is in the journal
   * before the file moves there.
   */
  async #place(file: number): Promise<void> {
    const entry = this.state.stored[file]!;
    // The bytes were verified as they went into the file we opened; a link put in its
    // place since would be moved into place in its stead, a received file leading anywhere.
    await this.#sizeOf(entry.part);
    while (!(await moveWithoutOverwrite(this.#disk, await this.#places.checked(entry.part), await this.#places.checked(entry.path)))) {
      entry.path = await this.#places.claim(...splitRelative(entry.path));
      await this.#journal.save(this.state);
    }
    this.#placed.add(file);
  }

  /**
   * Makes the partial file the journal names. Only a new one: a file already there
   * under that name, made since the journal was written, is not ours, so the file
   * takes the next free name.
   */
  async #makePartial(file: number): Promise<void> {
    const entry = this.state.stored[file]!;
    for (;;) {
      try {
        await (await this.#open(entry.part, OPEN.create)).close();
        return;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      entry.path = await this.#places.claim(...splitRelative(entry.path));
      entry.part = entry.path + PART_SUFFIX;
      await this.#journal.save(this.state);
    }
  }

  #writer(file: number): Promise<OpenFile> {
    let writer = this.#writers.get(file);
    if (!writer) this.#writers.set(file, (writer = this.#open(this.state.stored[file]!.part, OPEN.readWrite)));
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
  async closeWriters(): Promise<void> {
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

}

function indices(files: readonly FileDescription[]): number[] {
  return files.map((_, file) => file);
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
