/**
 * The files `ferry send` offers: the paths given, with folders walked, named as a
 * browser names the files of a picked folder ("photos/2024/a.jpg"), and read from
 * disk a block at a time when a receiver asks for them.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { FileSource } from '../src/transfer/file-source.ts';

/** A path that cannot be sent, and why, for the person to fix. */
export class UnsendablePathError extends Error {
  override name = 'UnsendablePathError';
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'not-a-file' | 'empty-folder' | 'unreadable',
  ) {
    super(`${path}: ${REASONS[reason]}`);
  }
}

const REASONS = {
  missing: 'no such file or folder',
  'not-a-file': 'not a regular file or folder',
  'empty-folder': 'the folder holds no files',
  unreadable: 'cannot be read',
} as const;

/** Enough for a phone to open what it receives with the right app; anything else is plain bytes. */
const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.html': 'text/html',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.heic': 'image/heic',
  '.svg': 'image/svg+xml',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
};

export function typeOf(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

interface Found {
  path: string;
  /** The name the receiver sees: the file's own, or its path from the folder given, with '/'. */
  name: string;
  size: number;
  lastModified: number;
}

/**
 * Every file under `paths`, in order, folders walked depth-first in name order.
 * Throws UnsendablePathError for the first path that cannot be sent: better to say
 * so before a link is printed than to offer a share that fails half-way.
 */
export async function findFiles(paths: readonly string[]): Promise<Found[]> {
  const found: Found[] = [];
  for (const given of paths) {
    const path = resolve(given);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new UnsendablePathError(given, error.code === 'ENOENT' ? 'missing' : 'unreadable');
    });
    if (info.isFile()) {
      found.push({ path, name: basename(path), size: info.size, lastModified: info.mtimeMs });
    } else if (info.isDirectory()) {
      const before = found.length;
      await walk(path, basename(path), found);
      if (found.length === before) throw new UnsendablePathError(given, 'empty-folder');
    } else {
      throw new UnsendablePathError(given, 'not-a-file');
    }
  }
  return found;
}

async function walk(folder: string, name: string, found: Found[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    // Links are followed as a browser's folder picker does; sockets, devices and the like are not files.
    const info = entry.isSymbolicLink() ? await stat(path).catch(() => null) : entry;
    if (info?.isDirectory()) await walk(path, `${name}/${entry.name}`, found);
    else if (info?.isFile()) {
      const { size, mtimeMs } = await stat(path);
      found.push({ path, name: `${name}/${entry.name}`, size, lastModified: mtimeMs });
    }
  }
}

/** How many files stay open between reads: a receiver reads a few files at a time. */
const OPEN_FILES = 16;

/** Reads found files as FileSources, keeping the most recently read few open. */
export function fileSources(found: readonly Found[]): { sources: FileSource[]; close(): Promise<void> } {
  const handles = new Map<string, Promise<FileHandle>>();
  const handle = (path: string): Promise<FileHandle> => {
    let opened = handles.get(path);
    if (opened) handles.delete(path);
    else opened = open(path, 'r');
    // Most recently used last, so the first is the one to close.
    handles.set(path, opened);
    if (handles.size > OPEN_FILES) {
      const [oldest, closing] = handles.entries().next().value!;
      handles.delete(oldest);
      void closing.then((file) => file.close()).catch(() => {});
    }
    return opened;
  };
  const sources = found.map(({ path, name, size, lastModified }): FileSource => ({
    name,
    size,
    type: typeOf(name),
    lastModified: Math.floor(lastModified),
    read: async (start, end) => {
      const file = await handle(path);
      const bytes = new Uint8Array(end - start);
      let at = 0;
      while (at < bytes.length) {
        const { bytesRead } = await file.read(bytes, at, bytes.length - at, start + at);
        // The file shrank since it was offered, as a browser's File refuses to be read once changed.
        if (bytesRead === 0) throw new Error(`${name} changed on disk while it was being sent`);
        at += bytesRead;
      }
      return bytes;
    },
  }));
  const close = async () => {
    const open = [...handles.values()];
    handles.clear();
    await Promise.all(open.map((opened) => opened.then((file) => file.close()).catch(() => {})));
  };
  return { sources, close };
}
