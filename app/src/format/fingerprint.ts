/**
 * A file's fingerprint as a person sees it: the root of its block tree
 * (transfer/block-tree.ts), 32 bytes, written in hex.
 *
 * - The full form is all 64 lowercase hex digits, as `ferry hash` prints it — the
 *   layout of `sha256sum`, so the two read alike (though the values differ: the root
 *   is not the file's plain SHA-256).
 * - The short form is the first 16 hex digits (64 bits) in four groups of four,
 *   "3f2a 9c01 77be 0d4e": short enough to read aloud or compare across two screens,
 *   and long enough that a damaged or different file shows the same short form by
 *   chance once in 2^64. It does not stand up to someone who makes two files on
 *   purpose to share a short form (a birthday search, about 2^32 tries); comparing
 *   the full form does.
 */

/** How many bytes a block tree's root has: a SHA-256. */
const ROOT_BYTES = 32;

/** How many hex digits the short form keeps, and how many go in a group. */
const SHORT_DIGITS = 16;
const GROUP_DIGITS = 4;

const ROOT_HEX = /^[0-9a-f]{64}$/;

/** The full form: 64 lowercase hex digits. Throws unless `root` is 32 bytes. */
export function rootHex(root: Uint8Array): string {
  if (root.length !== ROOT_BYTES) throw new RangeError(`a root is ${ROOT_BYTES} bytes, not ${root.length}`);
  let hex = '';
  for (const byte of root) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The short form of a root given in full hex (either case): its first 16 digits,
 * lowercase, in groups of four. Throws unless `hex` is 64 hex digits, so a
 * truncated or mangled root is never shown as if it were one.
 */
export function shortFingerprint(hex: string): string {
  const full = hex.toLowerCase();
  if (!ROOT_HEX.test(full)) throw new RangeError(`a root is ${ROOT_BYTES * 2} hex digits, not ${JSON.stringify(hex)}`);
  const groups: string[] = [];
  for (let at = 0; at < SHORT_DIGITS; at += GROUP_DIGITS) groups.push(full.slice(at, at + GROUP_DIGITS));
  return groups.join(' ');
}
