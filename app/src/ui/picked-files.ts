/**
 * Files from the file input or a drop, as the transfer core's FileSource. A dropped
 * folder is walked recursively and each file keeps its path relative to the drop.
 */
import { readBytes } from '../files/file-reads.ts';
import type { FileSource } from '../transfer/file-source.ts';

/** The picked file behind each source, for what only the page does with it (a thumbnail). */
const picked = new WeakMap<FileSource, File>();

/** The file a source was made from on this page, if it was (not for a share restored after a reload). */
export function pickedFile(source: FileSource): File | undefined {
  return picked.get(source);
}

export function fileSource(file: File, path = file.webkitRelativePath || file.name): FileSource {
  const source: FileSource = {
    name: path,
    size: file.size,
    type: file.type,
    lastModified: file.lastModified,
    // Lazy: only the requested slice is read, so no file is ever held whole in memory.
    // A small file read whole skips the slice, a trip of its own to the browser.
    read: (start, end) => readBytes(start === 0 && end === file.size ? file : file.slice(start, end)),
  };
  picked.set(source, file);
  return source;
}

/** Every file in a drop, folders included, with relative paths. */
export async function filesFromDrop(transfer: DataTransfer): Promise<FileSource[]> {
  const entries = Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry());
  if (entries.length === 0 || entries.some((entry) => entry === null)) {
    return Array.from(transfer.files, (file) => fileSource(file));
  }
  const sources: FileSource[] = [];
  for (const entry of entries) await walk(entry!, '', sources);
  return sources;
}

async function walk(entry: FileSystemEntry, prefix: string, out: FileSource[]): Promise<void> {
  const path = prefix + entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push(fileSource(file, path));
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns the folder in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, `${path}/`, out);
  }
}
