/**
 * Hands received files to the person, never through a whole in-memory copy where the
 * browser offers a better way. Best first:
 *
 * - 'picker': the File System Access save dialog (Chromium on desktop, secure
 *   contexts); the stored file is piped to the chosen file.
 * - 'stream': a download the service worker streams from storage (common/download-url.ts);
 *   what phones get once Ferry's service worker controls the page.
 * - 'blob': a download of a Blob URL — the last resort (plain http, no service
 *   worker), where some browsers (iOS Safari) read the whole file into memory; so only
 *   for files up to BLOB_SAVE_LIMIT, which the UI states.
 */
import { safeFileName } from '../common/names.ts';
import { saveIntoFolder, type SaveFailure } from './save-folder.ts';

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

/** Some files of a batch could not be saved into the folder; the others were. */
export class NotAllSavedError extends Error {
  override name = 'NotAllSavedError';
  constructor(readonly failures: readonly SaveFailure[]) {
    super(`Could not save ${failures.map((failure) => failure.path).join(', ')}.`);
  }
}

export async function saveFile(file: Saveable, way: SaveWay): Promise<SaveResult> {
  const picked = way === 'picker' ? await saveThroughDialog(file.name, async () => (await file.blob()).stream()) : null;
  if (picked) return picked;
  await download(file, downloadWay(way));
  return 'downloaded';
}

/** A ZIP of every file: through the save dialog, or streamed by the service worker. */
export async function saveZip(zip: SaveableZip, way: SaveWay): Promise<SaveResult> {
  const picked = way === 'picker' ? await saveThroughDialog(zip.name, zip.stream) : null;
  if (picked) return picked;
  // A ZIP is built as it is read: there is no Blob of it to fall back on.
  if (downloadWay(way) === 'blob') throw new TooLargeToSaveError(null);
  streamDownload(zip.url);
  return 'downloaded';
}

/**
 * Several files at once. With a folder picker they keep their relative paths inside
 * the chosen folder (one dialog instead of one per file), never overwriting what is
 * there (save-folder.ts); a NotAllSavedError names the files that failed once the
 * rest are saved. Otherwise each becomes a download, which browsers confirm once for
 * the whole batch.
 */
export async function saveFiles(files: readonly Saveable[], way: SaveWay): Promise<SaveResult> {
  const { showDirectoryPicker } = pickers();
  if (!showDirectoryPicker) {
    for (const file of files) await download(file, downloadWay(way));
    return 'downloaded';
  }
  let folder: FileSystemDirectoryHandle;
  try {
    folder = await showDirectoryPicker.call(window, { mode: 'readwrite' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') return 'cancelled';
    throw error;
  }
  const failures = await saveIntoFolder(folder, files);
  if (failures.length > 0) throw new NotAllSavedError(failures);
  return 'saved';
}

/**
 * Writes `stream()` to a file the person picks in the save dialog: 'saved',
 * 'cancelled', or null when the dialog cannot be shown now (no user activation left,
 * e.g. a second dialog in a row), so the caller downloads instead.
 */
async function saveThroughDialog(name: string, stream: () => Promise<ReadableStream<Uint8Array>>): Promise<SaveResult | null> {
  let handle: FileSystemFileHandle;
  try {
    handle = await pickers().showSaveFilePicker!.call(window, { suggestedName: safeFileName(name) });
  } catch (error) {
    const { name: kind } = error as Error;
    if (kind === 'AbortError') return 'cancelled';
    if (kind === 'SecurityError' || kind === 'NotAllowedError') return null;
    throw error;
  }
  await writeTo(handle, await stream());
  return 'saved';
}

async function writeTo(handle: FileSystemFileHandle, stream: ReadableStream<Uint8Array>): Promise<void> {
  // pipeTo streams into the file and closes it when done.
  await stream.pipeTo(await handle.createWritable());
}

/** How to download where the dialog is not used: the service worker's stream is the next best. */
function downloadWay(way: SaveWay): 'stream' | 'blob' {
  return way === 'stream' || (way === 'picker' && navigator.serviceWorker?.controller) ? 'stream' : 'blob';
}

async function download(file: Saveable, way: 'stream' | 'blob'): Promise<void> {
  if (way === 'stream') return streamDownload(file.url);
  const name = safeFileName(file.name);
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
