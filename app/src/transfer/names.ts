/**
 * Safe local file names from names a peer sent. A manifest may carry relative paths
 * ("photos/2024/cat.jpg"), traversal ("../../.bashrc"), Windows separators, control
 * characters or names a file system reserves; none of that may reach a save dialog.
 */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_LENGTH = 200;

// Control characters (C0, DEL, C1), bidi overrides, and characters Windows forbids.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069<>:"|?*]/g;

/** One path segment made safe, or '' when nothing usable is left. */
function segment(part: string): string {
  const cleaned = part.replace(UNSAFE, '').trim().replace(/[. ]+$/, '');
  if (cleaned === '' || /^\.+$/.test(cleaned)) return '';
  return RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * A flat file name for a download: path segments joined with "_" (a download cannot
 * create folders), traversal segments dropped, never empty, at most 200 characters
 * with the extension kept.
 */
export function safeFileName(name: string, fallback = 'file'): string {
  const joined = name
    .split(/[/\\]/)
    .map(segment)
    .filter((part) => part !== '')
    .join('_')
    .replace(/^\.+/, '');
  // Checked again here: ".con" passes as a segment, and is "con" once its dot is gone.
  const safe = joined === '' ? fallback : RESERVED.test(joined) ? `_${joined}` : joined;
  if (safe.length <= MAX_LENGTH) return safe;
  const dot = safe.lastIndexOf('.');
  const extension = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
  // Cut where a character ends (not inside a surrogate pair), and not just before a dot
  // or space, which Windows would drop.
  const stem = safe
    .slice(0, MAX_LENGTH - extension.length)
    .replace(/[\uD800-\uDBFF]$/, '')
    .replace(/[. ]+$/, '');
  return stem + extension;
}

/**
 * A relative path made safe, as its segments: for saving into a folder the person
 * picked, or as a path inside a ZIP. Traversal and empty segments are dropped; the
 * last segment (the file name) is never empty.
 */
export function safePath(name: string): string[] {
  const segments = name.split(/[/\\]/).map((part) => safeFileName(part, ''));
  const folders = segments.slice(0, -1).filter((part) => part !== '');
  return [...folders, safeFileName(segments.at(-1) ?? '')];
}

/** A name for a ZIP of these files: their common top folder if they share one, else "Ferry files". */
export function zipName(names: readonly string[]): string {
  const tops = new Set(names.map((name) => safePath(name)).map((path) => (path.length > 1 ? path[0] : null)));
  const [top] = tops;
  return `${tops.size === 1 && top ? top : 'Ferry files'}.zip`;
}

/** A name safe to show: control and bidi characters removed, separators kept. */
export function displayName(name: string): string {
  return name.replace(UNSAFE, '\uFFFD') || '(unnamed)';
}
