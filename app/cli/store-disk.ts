/**
 * The file system as the terminal client's store uses it (file-store.ts): a port, so
 * that tests can fill the disk or stop the process at any step. Node's own
 * `fs/promises` is the real one. Also what the store needs beyond plain calls: writes
 * that store everything or fail, which errors mean "no room", a move that never
 * overwrites, and opening files without following a link someone planted in their place.
 */
import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { Failure } from '../src/transfer/failure.ts';
import { StorageFullError } from '../src/transfer/store.ts';

/** An open file: the calls on Node's FileHandle the store makes. */
export interface OpenFile {
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  readFile(encoding: 'utf8'): Promise<string>;
  writeFile(data: string): Promise<void>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  /** Who owns the file and who may write it. */
  stat(options: { bigint: true }): Promise<{ uid: bigint; mode: bigint; ino: bigint; dev: bigint; ctimeNs: bigint }>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  /** `flags` from OPEN, which never follow a link at `path`. */
  open(path: string, flags: number, mode?: number): Promise<OpenFile>;
  readdir(path: string, options: { withFileTypes: true }): Promise<{ name: string; isDirectory(): boolean }[]>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<unknown>;
  /** With bigint: NTFS and ReFS file ids do not fit a double. */
  lstat(path: string, options: { bigint: true }): Promise<{
    ino: bigint;
    dev: bigint;
    size: bigint;
    uid: bigint;
    mode: bigint;
    ctimeNs: bigint;
    isFile(): boolean;
    isDirectory(): boolean;
    isSymbolicLink(): boolean;
  }>;
  link(existing: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

export const nodeDisk: Disk = fs;

// Where the system has no O_NOFOLLOW (Windows), a link is told by lstat just before.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * How the store opens files. None follows a link at the path: a link planted where a
 * file of ours should be would turn our write into a write to whatever it points at.
 */
export const OPEN = {
  read: constants.O_RDONLY | NO_FOLLOW,
  readWrite: constants.O_RDWR | NO_FOLLOW,
  /** A new file, made now by us: fails (EEXIST) if anything, a link too, has the name. */
  create: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW,
  /** A folder, to ask who owns it and who may write it. */
  folder: constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | NO_FOLLOW,
} as const;

/**
 * Something in the output folder that Ferry will not write through or into: a link
 * where a file or folder of the transfer should be, or a records folder that another
 * user holds or others can write. Nothing was written through it.
 */
export class UnsafePlaceError extends Error {
  override name = 'UnsafePlaceError';

  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path} ${why}. Remove it, or receive into another folder.`);
  }

  get failure(): Failure {
    return { code: 'unsafe-folder', detail: this.message };
  }
}

/** Mode bits that let group and others write: whoever can write a folder can swap what is in it for a link. */
export const WRITABLE_BY_OTHERS = 0o022;

export const IS_LINK = 'is a symbolic link, and Ferry does not write through links';

/** `path` opened with `flags` (OPEN); a link at `path` is refused as UnsafePlaceError. */
export async function openUnfollowed(disk: Disk, path: string, flags: number, mode?: number): Promise<OpenFile> {
  try {
    return await disk.open(path, flags, mode);
  } catch (error) {
    // O_NOFOLLOW meeting a link: ELOOP on Linux and macOS, EMLINK on FreeBSD.
    const code = errorCode(error);
    if (code === 'ELOOP' || code === 'EMLINK') throw new UnsafePlaceError(path, IS_LINK);
    throw error;
  }
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Bytes to write at an offset of a file. */
export interface Written {
  offset: number;
  bytes: Uint8Array;
}

/** Writes `pieces` in order: those that follow one another in the file, in one call. */
export async function writePieces(file: OpenFile, pieces: readonly Written[]): Promise<void> {
  const runs: { start: number; end: number; buffers: Uint8Array[] }[] = [];
  for (const { offset, bytes } of pieces) {
    const last = runs.at(-1);
    if (last && last.end === offset) {
      last.buffers.push(bytes);
      last.end += bytes.length;
    } else {
      runs.push({ start: offset, end: offset + bytes.length, buffers: [bytes] });
    }
  }
  for (const { start, buffers } of runs) await writeAll(file, buffers, start);
}

/**
 * Writes all of `buffers` at `position`. A write may store only part of what it was
 * given, a disk filling up does that first; the rest is written again, and then the
 * disk says why it cannot.
 */
async function writeAll(file: OpenFile, buffers: Uint8Array[], position: number): Promise<void> {
  const length = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  const { bytesWritten } = await file.writev(buffers, position);
  if (bytesWritten >= length) return;
  if (bytesWritten === 0) throw new Error(`a write at ${position} stored nothing`);
  await writeAll(file, [Buffer.concat(buffers).subarray(bytesWritten)], position + bytesWritten);
}

/** A full disk (or a full quota) as the StorageFullError the session reports; any other error as itself. */
export function diskError(error: unknown): Error {
  if (error instanceof StorageFullError) return error;
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageFullError('no room left on the disk for the received files', { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** A catch handler that lets errors with these codes pass: something already gone, say. */
export function ignoring(...codes: string[]): (error: unknown) => void {
  return (error) => {
    if (!codes.includes(errorCode(error) ?? '')) throw error;
  };
}

/** Whether anything (a file, a folder, a link) is at `path`. */
async function exists(disk: Disk, path: string): Promise<boolean> {
  try {
    await disk.lstat(path, { bigint: true });
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** File systems without hard links (FAT and exFAT, some network shares) answer a link with one of these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Moves the file at `from` to `to` unless something else is there; false if it is.
 * A rename would replace what is at `to`, a hard link never does, so the file is
 * linked there and then unlinked here. A move cut short between the two leaves both
 * names on the same file, which a second call completes. Where the file system has no
 * hard links, `to` is looked at just before the rename: only a file created in that
 * instant could be replaced.
 */
export async function moveWithoutOverwrite(disk: Disk, from: string, to: string): Promise<boolean> {
  try {
    await disk.link(from, to);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST' && !(await sameFile(disk, from, to))) return false;
    if (code !== undefined && NO_HARD_LINKS.has(code)) {
      if (await exists(disk, to)) return false;
      await disk.rename(from, to);
      return true;
    }
    if (code !== 'EEXIST') throw error;
  }
  await disk.unlink(from);
  return true;
}

async function sameFile(disk: Disk, a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([disk.lstat(a, { bigint: true }), disk.lstat(b, { bigint: true })]);
  return first.ino === second.ino && first.dev === second.dev;
}
