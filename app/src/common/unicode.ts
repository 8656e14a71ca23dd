/**
 * What file names need from Unicode: repair broken UTF-16, count UTF-8 bytes (what
 * file systems limit), and shorten a string without splitting a character — nor,
 * where the browser can tell, a grapheme: an emoji with its skin tone, a family held
 * together by zero-width joiners, a letter with its accents.
 */

const SURROGATES = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]/g;

/**
 * `text` with each lone surrogate replaced by U+FFFD, as String.prototype.toWellFormed
 * does; that is missing in Safari before 16.4 and Firefox before 119. A lone surrogate
 * makes encodeURIComponent throw, and TextEncoder turns it into U+FFFD anyway.
 */
export function wellFormed(text: string): string {
  return text.replace(SURROGATES, (match) => (match.length === 2 ? match : '\uFFFD'));
}

/** Bytes of `text` in UTF-8, a lone surrogate counted as the U+FFFD it becomes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

// Firefox has Intl.Segmenter only since 125; without it the cut falls between code points.
const graphemes =
  typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/** The longest start of `text` within `maxBytes` UTF-8 bytes, cut between graphemes where possible. */
export function cutToBytes(text: string, maxBytes: number): string {
  const end = codePointsWithin(text, maxBytes);
  if (end === text.length) return text;
  // The grapheme the cut falls in; one lookup, where walking every grapheme is slow.
  const start = graphemes?.segment(text).containing(end)?.index ?? end;
  // A grapheme can outgrow the whole budget (a letter under hundreds of accents):
  // then keep what fits of it rather than nothing.
  return text.slice(0, start > 0 ? start : end);
}

/** How many UTF-16 units of `text`, ending between code points, fit in `maxBytes` of UTF-8. */
function codePointsWithin(text: string, maxBytes: number): number {
  let units = 0;
  let bytes = 0;
  for (const char of text) {
    bytes += utf8Length(char);
    if (bytes > maxBytes) break;
    units += char.length;
  }
  return units;
}
