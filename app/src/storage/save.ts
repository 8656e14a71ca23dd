/**
 * Hands a received file to the person: the File System Access save dialog where the
 * browser has one (Chromium desktop, secure contexts), otherwise a browser download.
 */
import { safeFileName } from '../transfer/names.ts';

interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;
}

export type SaveResult = 'saved' | 'downloaded' | 'cancelled';

export async function saveFile(blob: Blob, name: string): Promise<SaveResult> {
  const suggestedName = safeFileName(name);
  const picker = (window as Window & SaveFilePicker).showSaveFilePicker;
  if (picker) {
    let handle: FileSystemFileHandle;
    try {
      handle = await picker.call(window, { suggestedName });
    } catch (error) {
      if ((error as Error).name === 'AbortError') return 'cancelled';
      throw error;
    }
    const writable = await handle.createWritable();
    // pipeTo streams from the blob store to disk and closes the file when done.
    await blob.stream().pipeTo(writable);
    return 'saved';
  }
  download(blob, suggestedName);
  return 'downloaded';
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
