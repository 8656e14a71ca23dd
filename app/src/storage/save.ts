/**
 * Hands received files to the person: the File System Access pickers where the
 * browser has them (Chromium desktop, secure contexts), otherwise browser downloads.
 */
import { safeFileName } from '../transfer/names.ts';

interface Pickers {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;
  showDirectoryPicker?: (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

const pickers = (): Pickers => window as Window & Pickers;

export type SaveResult = 'saved' | 'downloaded' | 'cancelled';

export async function saveFile(blob: Blob, name: string): Promise<SaveResult> {
  const suggestedName = safeFileName(name);
  const { showSaveFilePicker } = pickers();
  if (showSaveFilePicker) {
    try {
      const handle = await showSaveFilePicker.call(window, { suggestedName });
      await writeTo(handle, blob);
      return 'saved';
    } catch (error) {
      const { name: kind } = error as Error;
      if (kind === 'AbortError') return 'cancelled';
      // No user activation left (e.g. a second dialog in a row): download instead.
      if (kind !== 'SecurityError' && kind !== 'NotAllowedError') throw error;
    }
  }
  download(blob, suggestedName);
  return 'downloaded';
}

/**
 * Several files at once. With a folder picker they keep their relative paths inside
 * the chosen folder (one dialog instead of one per file); otherwise each becomes a
 * download, which browsers confirm once for the whole batch.
 */
export async function saveFiles(files: readonly { name: string; blob: Blob }[]): Promise<SaveResult> {
  const { showDirectoryPicker } = pickers();
  if (!showDirectoryPicker) {
    for (const { name, blob } of files) download(blob, safeFileName(name));
    return 'downloaded';
  }
  let folder: FileSystemDirectoryHandle;
  try {
    folder = await showDirectoryPicker.call(window, { mode: 'readwrite' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') return 'cancelled';
    throw error;
  }
  for (const { name, blob } of files) {
    const segments = name.split(/[/\\]/).map((part) => safeFileName(part, '')).filter(Boolean);
    const fileName = segments.pop() ?? safeFileName(name);
    let directory = folder;
    for (const segment of segments) directory = await directory.getDirectoryHandle(segment, { create: true });
    await writeTo(await directory.getFileHandle(fileName, { create: true }), blob);
  }
  return 'saved';
}

async function writeTo(handle: FileSystemFileHandle, blob: Blob): Promise<void> {
  const writable = await handle.createWritable();
  // pipeTo streams from the blob store to disk and closes the file when done.
  await blob.stream().pipeTo(writable);
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has started from the URL by now; give slow devices a margin anyway.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
