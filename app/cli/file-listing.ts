/**
 * What `ferry send` offers, listed before its link, so the person sees what they
 * are about to share: each file's size and name, and for several files their total.
 * Sizes come first, aligned, so a long path never pushes them out of line.
 *
 * Pure: the caller prints the lines.
 */
import { displayName } from '../src/common/names.ts';
import { formatBytes, shortenMiddle } from './progress-line.ts';

export interface ListedFile {
  name: string;
  size: number;
}

/**
 * Files listed one a line at most; the rest are counted on one line. A folder of
 * thousands would otherwise push the link and its code out of sight.
 */
export const LISTED_AT_MOST = 20;

const INDENT = '  ';
const GAP = '  ';

/**
 * The lines that list `files`: a heading, then "   3.0 MB  photos/a.jpg" for each,
 * then the total when there are several. With `columns` (a terminal's width) a
 * name too long for the line is shortened in the middle, as the progress line does.
 */
export function fileListing(files: readonly ListedFile[], columns = Infinity): string[] {
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const listed = files.length > LISTED_AT_MOST ? files.slice(0, LISTED_AT_MOST - 1) : files;
  const unlisted = files.slice(listed.length);
  const rows = listed.map((file) => ({ size: formatBytes(file.size), text: displayName(file.name) }));
  if (unlisted.length > 0) {
    const size = unlisted.reduce((sum, file) => sum + file.size, 0);
    rows.push({ size: formatBytes(size), text: `and ${unlisted.length} more files` });
  }
  if (files.length > 1) rows.push({ size: formatBytes(total), text: 'in all' });
  const width = Math.max(...rows.map((row) => row.size.length));
  // A line as wide as the terminal makes some terminals wrap (progress-line.ts).
  const room = Math.max(1, columns - 1 - INDENT.length - width - GAP.length);
  const heading = files.length === 1 ? 'Sharing 1 file:' : `Sharing ${files.length} files:`;
  return [heading, ...rows.map(({ size, text }) => `${INDENT}${size.padStart(width)}${GAP}${shortenMiddle(text, room)}`)];
}
