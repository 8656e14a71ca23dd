/**
 * Safe local file names from names a peer sent. A manifest may carry relative paths
 * ("photos/2024/cat.jpg"), traversal ("../../.bashrc"), Windows separators, control
 * characters, invisible ones, broken UTF-16 or names a file system reserves; none of
 * that may reach a save dialog, a folder, a ZIP or a download's header.
 */
import { cutToBytes, utf8Length, wellFormed } from './unicode.ts';

/**
 * The longest name made, in UTF-8 bytes. ext4 and APFS allow 255 bytes for one name
 * (NTFS 255 UTF-16 units, never more than the UTF-8 bytes, so this bounds both); 200
 * leaves room for what gets added later: a browser's " (1)" and ".crdownload" while it
 * downloads, our own " (1)" in a folder. ASCII names keep the old 200-character limit.
 */
export const MAX_NAME_BYTES = 200;
/** A longer "extension" is part of the name, not a type to keep when shortening. */
const MAX_EXTENSION_BYTES = 16;

/**
 * Device names Windows reserves, alone or with any extension, in any case, also with
 * spaces before the extension (Windows trims them: "CON .txt" is CON). COM and LPT take
 * the superscript digits ¹²³ too.
 */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$) *(\..*)?$/i;

const SEPARATORS = /[/\\]/;
/** Characters Windows forbids in a name (separators are split on before this). */
const FORBIDDEN = /[<>:"|?*]/g;

/**
 * Control characters, line separators and invisible format characters: bidi marks,
 * overrides and isolates (which make "gpj.exe" look like "exe.jpg"), zero-width
 * spaces, byte order marks, soft hyphens. An emoji subdivision flag (🏴, a region
 * code in tag characters, a cancel tag: England, Scotland, Wales) is matched whole so
 * that it can be kept; tag characters anywhere else are hidden text, and go.
 */
const INVISIBLE = /\u{1F3F4}[\u{E0020}-\u{E007E}]{1,8}\u{E007F}|[\p{Cc}\p{Cf}\u2028\u2029]/gu;
/** Joiners are spelling, not tricks: ZWJ holds emoji sequences together (👩‍💻), ZWNJ is needed in Persian and Indic words. */
const JOINERS = /^[\u200C\u200D]$/;

// A name starts with something visible: no dot (hidden files, traversal), no space,
// nothing a font shows as nothing (a joiner with nothing to join, a variation selector,
// a Hangul filler), so a name of invisibles alone is no name. It ends without dots or
// spaces (Windows drops them) or a dangling joiner; a variation selector there belongs
// to an emoji (❤️).
const LEADING = /^[\s.\p{Default_Ignorable_Code_Point}]+/u;
const TRAILING = /[\s.\u200C\u200D]+$/u;

function withoutInvisibles(text: string, replacement: string): string {
  return text.replace(INVISIBLE, (match) => (match.codePointAt(0) === 0x1f3f4 || JOINERS.test(match) ? match : replacement));
}

/** One path segment cleaned, or '' when nothing usable is left. */
function clean(part: string): string {
  return withoutInvisibles(part, '').replace(FORBIDDEN, '').replace(LEADING, '').replace(TRAILING, '');
}

/**
 * A cleaned, non-empty name made to fit in MAX_NAME_BYTES, extension kept, and never a
 * reserved one. The cut is cleaned again: it can leave dots, spaces or a joiner at the
 * end, or half a flag where one grapheme alone outgrew the budget.
 */
function finish(name: string): string {
  const unreserved = RESERVED.test(name) ? `_${name}` : name;
  if (utf8Length(unreserved) <= MAX_NAME_BYTES) return unreserved;
  const [stem, extension] = splitExtension(unreserved);
  const fitted = clean(cutToBytes(stem, MAX_NAME_BYTES - utf8Length(extension))) + extension;
  // Only a short name can become reserved by the cut ("CON" + a huge grapheme + ".txt").
  return RESERVED.test(fitted) ? `_${fitted}` : fitted;
}

/** `name` as [stem, extension]; the extension, from the last dot, is '' if too long or the whole name. */
export function splitExtension(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || utf8Length(name.slice(dot)) > MAX_EXTENSION_BYTES) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * A flat file name for a download: path segments joined with "_" (a download cannot
 * create folders), traversal segments dropped, never empty, at most MAX_NAME_BYTES
 * of UTF-8 with the extension kept, well-formed UTF-16.
 */
export function safeFileName(name: string): string {
  const parts = wellFormed(name).split(SEPARATORS).map(clean);
  return finish(parts.filter((part) => part !== '').join('_') || 'file');
}

/**
 * A relative path made safe, as its segments: for saving into a folder the person
 * picked, or as a path inside a ZIP. Traversal and empty segments are dropped; the
 * last segment (the file name) is never empty. Each segment is as safe as a safeFileName.
 */
export function safePath(name: string): string[] {
  const parts = wellFormed(name).split(SEPARATORS).map(clean);
  const folders = parts.slice(0, -1).filter((part) => part !== '');
  return [...folders, parts.at(-1) || 'file'].map(finish);
}

/**
 * A name for a ZIP of these files that says what is in it: their common top folder if
 * they share one, else the first file's name and how many more ("IMG_2041 +2.zip").
 * The same in every language: the service worker, which names streamed ZIPs, has none.
 */
export function zipName(names: readonly string[]): string {
  const paths = names.map((name) => safePath(name));
  const tops = new Set(paths.map((path) => (path.length > 1 ? path[0] : null)));
  const [top] = tops;
  if (tops.size === 1 && top) return safeFileName(`${top}.zip`);
  if (paths.length === 0) return 'Ferry files.zip';
  const [stem] = splitExtension(paths[0]!.at(-1)!);
  return safeFileName(`${stem}${paths.length > 1 ? ` +${paths.length - 1}` : ''}.zip`);
}

/**
 * A name safe to show: control, bidi and other invisible characters shown as U+FFFD
 * (so a trick is visible), broken UTF-16 repaired, separators kept.
 */
export function displayName(name: string): string {
  const shown = withoutInvisibles(wellFormed(name), '\uFFFD');
  return /^[\s\u200C\u200D]*$/u.test(shown) ? '(unnamed)' : shown;
}
