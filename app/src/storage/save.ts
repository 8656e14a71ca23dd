/**
 * Hands received files to the person, never through a whole in-memory copy where the
 * browser offers a better way. Best first:
 *
 * - 'picker': the File System Access save dialog (Chromium on desktop, secure
 *   contexts); the stored file is piped to the chosen file.
 * - 'stream': a download the service worker streams from storage (download-url.ts);
 *   what phones get once Ferry's service worker controls the page.
 * - 'blob': a download of a Blob URL — the last resort (plain http, no service
 *   worker), where some browsers (iOS Safari) read the whole file into memory; so only
 *   for files up to BLOB_SAVE_LIMIT, which the UI states.
 */
import { safeFileName, safePath } from '../transfer/names.ts';

export type SaveWay = 'picker' | 'stream' | 'blob';
export type SaveResult = 'saved' | 'downloaded' | 'cancelled';

/** The largest file saved through a Blob download (decimal, as the UI shows sizes). */
export const BLOB_SAVE_LIMIT = 500_000_000;

export interface Saveable {
  name: string;
  size: number;
  /** The stored file as a disk-backed Blob. */
  blob(): Promise<Blob>;
  /** Where the service worker streams it from. */
  url: string;
}

export interface SaveableZip {
  name: string;
  url: string;
  /** The archive, built as it is read. */
  stream(): Promise<ReadableStream<Uint8Array>>;
}

interface Pickers {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;
  showDirectoryPicker?: (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
}

const pickers = (): Pickers => window as Window & Pickers;

/** How this page can save a file; `controlled` says whether a service worker controls it. */
export function saveWay(controlled: boolean): SaveWay {
  if (pickers().showSaveFilePicker) return 'picker';
  return controlled ? 'stream' : 'blob';
}

/** A file over BLOB_SAVE_LIMIT, or a ZIP, where only a Blob download is possible. */
export class TooLargeToSaveError extends Error {
  override name = 'TooLargeToSaveError';
  /** The file's safe name; null for a ZIP. */
  constructor(readonly file: string | null) {
    super(file === null ? 'This browser cannot build a ZIP without holding it in memory.' : `${file} is too large to save in this browser.`);
  }
}

export async function saveFile(file: Saveable, way: SaveWay): Promise<SaveResult> {
  const suggestedName = safeFileName(file.name);
  if (way === 'picker') {
    const handle = await pick(suggestedName);
    if (handle === 'cancelled') return 'cancelled';
    if (handle) {
      await (await file.blob()).stream().pipeTo(await handle.createWritable());
      return 'saved';
    }
  }
  await download(file, way);
  return 'downloaded';
}

/** A ZIP of every file: through the save dialog, or streamed by the service worker. */
export async function saveZip(zip: SaveableZip, way: SaveWay): Promise<SaveResult> {
  if (way === 'picker') {
    const handle = await pick(safeFileName(zip.name));
    if (handle === 'cancelled') return 'cancelled';
    if (handle) {
      await (await zip.stream()).pipeTo(await handle.createWritable());
      return 'saved';
    }
  }
  if (way === 'blob' || !navigator.serviceWorker?.controller) {
    throw new TooLargeToSaveError(null);
  }
  streamDownload(zip.url);
  return 'downloaded';
}

/**
 * Several files at once. With a folder picker they keep their relative paths inside
 * the chosen folder (one dialog instead of one per file); otherwise each becomes a
 * download, which browsers confirm once for the whole batch.
 */
export async function saveFiles(files: readonly Saveable[], way: SaveWay): Promise<SaveResult> {
  const { showDirectoryPicker } = pickers();
  if (!showDirectoryPicker) {
    for (const file of files) await download(file, way);
    return 'downloaded';
  }
  let folder: FileSystemDirectoryHandle;
  try {
    folder = await showDirectoryPicker.call(window, { mode: 'readwrite' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') return 'cancelled';
    throw error;
  }
  for (const file of files) {
    const segments = safePath(file.name);
    const fileName = segments.pop()!;
    let directory = folder;
    for (const segment of segments) directory = await directory.getDirectoryHandle(segment, { create: true });
    const handle = await directory.getFileHandle(fileName, { create: true });
    await (await file.blob()).stream().pipeTo(await handle.createWritable());
  }
  return 'saved';
}

/** The save dialog's file, 'cancelled', or null when the dialog cannot be shown now. */
async function pick(suggestedName: string): Promise<FileSystemFileHandle | 'cancelled' | null> {
  try {
    return await pickers().showSaveFilePicker!.call(window, { suggestedName });
  } catch (error) {
    const { name } = error as Error;
    if (name === 'AbortError') return 'cancelled';
    // No user activation left (e.g. a second dialog in a row): download instead.
    if (name === 'SecurityError' || name === 'NotAllowedError') return null;
    throw error;
  }
}

async function download(file: Saveable, way: SaveWay): Promise<void> {
  const name = safeFileName(file.name);
  // Where the dialog could not be shown, the service worker's stream is the next best.
  if (way === 'stream' || (way === 'picker' && navigator.serviceWorker?.controller)) return streamDownload(file.url);
  if (file.size > BLOB_SAVE_LIMIT) throw new TooLargeToSaveError(name);
  blobDownload(await file.blob(), name);
}

/**
 * A download the service worker streams, started in a hidden frame: Chromium cancels
 * an `<a download>` whose response a service worker makes, and a frame also keeps a
 * failed response from replacing the page.
 */
function streamDownload(url: string): void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.src = url;
  document.body.append(frame);
  // Removing the frame early would cancel the download; it has started long before this.
  setTimeout(() => frame.remove(), 60_000);
}

function blobDownload(blob: Blob, name: string): void {
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
