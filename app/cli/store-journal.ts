/**
 * The store's journal of one transfer into a folder (not to be confused with the
 * session's TransferRecord, which folder-book.ts keeps beside it as
 * `<transfer>.link.json`), kept in the folder itself at `.ferry/<transfer>.json`: the files the transfer began with, where each goes, and
 * what of each is on disk. It is replaced whole, through a temporary file that is
 * synced and then renamed over it, so a process killed at any moment leaves either
 * the journal before or the journal after, never a mix (record-folder.ts).
 *
 *   { "ferry": 2,
 *     "files": [{ "name": "photos/a.jpg", "size": 5, "type": "", "lastModified": 0 }],
 *     "stored": [{ "path": "photos/a.jpg", "part": "photos/a.jpg.ferry-part",
 *                  "ranges": [[0, 3]], "pin": "<root>", "root": null }] }
 *
 * Roots are of block trees (block-tree.ts), in hex. Format 1 held whole-file SHA-256s
 * instead: such a journal is refused as one this version cannot read, and the folder
 * is left as it is.
 */
import type { FileDescription } from '../src/transfer/messages.ts';
import { parseRangeList, type RangeList } from '../src/transfer/ranges.ts';
import type { RelativePath } from './received-places.ts';
import { RecordFolder } from './record-folder.ts';
import type { Disk } from './store-disk.ts';

const FORMAT = 2;

/** One file as the journal keeps it: where it goes, where its bytes gather, and what of them is on disk. */
export interface FileOnDisk {
  /** Where the file goes once verified. */
  path: RelativePath;
  /** Where its bytes gather until then. */
  part: RelativePath;
  /** Parts of the partial file that are on disk: written and synced. */
  ranges: RangeList;
  /** The root the sender announced first. */
  pin: string | null;
  /** The root it was verified with: its bytes are whole, and it is at `path` or on its way there. */
  root: string | null;
}

export interface TransferState {
  files: FileDescription[];
  stored: FileOnDisk[];
}

/** A journal that Ferry did not write, or that was changed by hand (the message calls it a transfer record, as people know it). */
export class BrokenJournalError extends Error {
  override name = 'BrokenJournalError';

  constructor(readonly path: string) {
    super(`${path} is not a transfer record this version of Ferry can read`);
  }
}

/** Transfer ids name files: letters, digits, '-' and '_' only (a peer id is letters and digits). */
const TRANSFER_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class StoreJournal {
  readonly path: string;
  readonly #name: string;
  readonly #folder: RecordFolder;
  /** The write under way or last done; writes never overlap, so an older journal never lands over a newer one. */
  #writing: Promise<void> = Promise.resolve();
  /** A write waiting for the one under way: later saves join it, it will hold their changes too. */
  #next: Promise<void> | null = null;

  constructor(root: string, transfer: string, disk: Disk) {
    if (!TRANSFER_ID.test(transfer)) throw new Error(`not a transfer id: ${JSON.stringify(transfer)}`);
    this.#folder = new RecordFolder(root, disk);
    this.#name = `${transfer}.json`;
    this.path = this.#folder.pathOf(this.#name);
  }

  /** The state recorded, or null for a transfer never begun here. */
  async read(): Promise<TransferState | null> {
    const text = await this.#folder.read(this.#name);
    if (text === null) return null;
    const state = parseState(text);
    if (!state) throw new BrokenJournalError(this.path);
    return state;
  }

  /** Records `state` as it is when the write begins. */
  save(state: TransferState): Promise<void> {
    if (!this.#next) {
      const next = this.#writing
        .catch(() => {})
        .then(() => {
          this.#next = null;
          return this.#write(state);
        });
      this.#next = this.#writing = next;
    }
    return this.#next;
  }

  async #write(state: TransferState): Promise<void> {
    const text = JSON.stringify({ ferry: FORMAT, files: state.files, stored: state.stored });
    await this.#folder.replace(this.#name, text);
  }

  /** Deletes the journal, and its folder if no other transfer's files are left in it. */
  async delete(): Promise<void> {
    await this.#writing.catch(() => {});
    await this.#folder.delete(this.#name);
    await this.#folder.deleteIfEmpty();
  }
}

const HASH = /^[0-9a-f]{64}$/;

/** The state in `text`, checked as strictly as a message from a peer; null if it is not one. */
function parseState(text: string): TransferState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value.ferry !== FORMAT || !Array.isArray(value.files) || !Array.isArray(value.stored)) return null;
  const { files, stored } = value as { files: unknown[]; stored: unknown[] };
  if (files.length !== stored.length || !files.every(isFileDescription)) return null;
  const parsed = stored.map((entry, index) => fileOnDisk(entry, files[index]!.size));
  return parsed.every((entry) => entry !== null) ? { files, stored: parsed } : null;
}

function fileOnDisk(value: unknown, size: number): FileOnDisk | null {
  if (!isObject(value) || !isInside(value.path) || !isInside(value.part) || !isHash(value.pin) || !isHash(value.root)) return null;
  const ranges = parseRangeList(value.ranges);
  if (!ranges || (ranges.at(-1)?.[1] ?? 0) > size) return null;
  return { path: value.path, part: value.part, ranges, pin: value.pin, root: value.root };
}

function isFileDescription(value: unknown): value is FileDescription {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    Number.isSafeInteger(value.size) &&
    (value.size as number) >= 0 &&
    typeof value.type === 'string' &&
    Number.isFinite(value.lastModified) &&
    (value.root === undefined || (typeof value.root === 'string' && HASH.test(value.root)))
  );
}

/** A path that stays inside the output folder: relative, '/'-separated, no '.' or '..', nothing a system reads as a drive or a separator. */
function isInside(value: unknown): value is RelativePath {
  return typeof value === 'string' && value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !/[\\:\0]/.test(segment));
}

function isHash(value: unknown): value is string | null {
  return value === null || (typeof value === 'string' && HASH.test(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
