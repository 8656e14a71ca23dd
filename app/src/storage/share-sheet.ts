/**
 * Handing received files to the system's share sheet (Web Share with files: Chrome
 * on Android, Safari on iOS), which offers "Save to Photos" and "Save to Files". A
 * photo saved as a download lands in Downloads, not in the gallery where its owner
 * looks for it.
 */
import { safePath } from '../common/names.ts';
import type { Saveable } from './save.ts';

/**
 * The most handed over at once. The share sheet is given whole files, and phones
 * copy what they are given; past this, the streaming download (which never holds a
 * file in memory) is the safer way.
 */
export const SHARE_SHEET_LIMIT = 200_000_000;

/** Whether this browser hands files to a share sheet. */
export function canShareFiles(): boolean {
  if (typeof navigator.canShare !== 'function') return false;
  try {
    return navigator.canShare({ files: [new File(['probe'], 'probe.txt', { type: 'text/plain' })] });
  } catch {
    return false;
  }
}

/** Files too large together for the share sheet: save them another way. */
export class TooLargeToShareError extends Error {
  override name = 'TooLargeToShareError';
}

/** Hands `files` to the share sheet; 'cancelled' if the person closed it. */
export async function shareFiles(files: readonly Saveable[]): Promise<'shared' | 'cancelled'> {
  if (files.reduce((sum, file) => sum + file.size, 0) > SHARE_SHEET_LIMIT) throw new TooLargeToShareError('too large for the share sheet');
  const shared = await Promise.all(
    files.map(async (file) => {
      const blob = await file.blob();
      // The file's own name, without the folders it came in (the sheet takes flat files).
      return new File([blob], safePath(file.name).at(-1)!, { type: blob.type });
    }),
  );
  try {
    await navigator.share({ files: shared });
    return 'shared';
  } catch (error) {
    // The person closed the sheet: nothing went wrong.
    if (error instanceof DOMException && error.name === 'AbortError') return 'cancelled';
    throw error;
  }
}
