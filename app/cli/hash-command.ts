/**
 * `ferry hash FILE...`: prints each file's fingerprint, the root of its block tree
 * (file-root.ts) in full hex, two spaces and the name as given — the layout of
 * sha256sum, so the lines read and sort alike. `-` is standard input.
 *
 * A file that cannot be hashed (missing, unreadable, a folder) is named on stderr and
 * the others are still hashed; the command then ends with EXIT.failed. A folder is
 * not walked: which of its files to check, and in what order, is the caller's to say
 * (`ferry hash photos/*`), so each line names exactly one file the person asked for.
 */
import { rootHex } from '../src/format/fingerprint.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { treeOfFile, treeOfStream } from './file-root.ts';

/** Where the command reads and writes: the process's own streams, or a test's. */
export interface HashIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Why a file could not be hashed, from the file system's error code. */
type Unhashable = 'missing' | 'folder' | 'denied' | 'unreadable';

const REASONS = {
  missing: () => 'no such file',
  folder: () => 'is a folder: name the files in it to hash them',
  denied: () => 'permission denied',
  unreadable: (code: string) => `cannot be read (${code})`,
} satisfies Record<Unhashable, (code: string) => string>;

function unhashable(code: string): Unhashable {
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  if (code === 'EISDIR') return 'folder';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return 'unreadable';
}

export async function hashFiles(paths: readonly string[], io: HashIo): Promise<ExitCode> {
  let failed = false;
  for (const path of paths) {
    const { name, escaped } = shownName(path);
    try {
      const tree = await (path === '-' ? treeOfStream(io.stdin) : treeOfFile(path));
      io.stdout.write(`${escaped ? '\\' : ''}${rootHex(tree.root)}  ${name}\n`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      // Only the file system's refusals are about the file; anything else is a fault in ferry.
      if (typeof code !== 'string') throw error;
      io.stderr.write(`ferry: ${name}: ${REASONS[unhashable(code)](code)}\n`);
      failed = true;
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * The name as sha256sum prints it: a name with a backslash or a line break has them
 * written as \\, \n and \r and its line begins with a backslash, so every file takes
 * exactly one line and no name can pass for another file's line.
 */
export function shownName(path: string): { name: string; escaped: boolean } {
  if (!/[\\\n\r]/.test(path)) return { name: path, escaped: false };
  const name = path.replace(/[\\\n\r]/g, (char) => (char === '\\' ? '\\\\' : char === '\n' ? '\\n' : '\\r'));
  return { name, escaped: true };
}
