/**
 * Recognising the files of a share when the sender adds them again after a reload:
 * same name (or, for a file that came from a dropped folder, same last path part),
 * same size, same modification time. The SHA-256, where it was known, confirms it.
 */
import type { FileDescription } from '../transfer/messages.ts';

export interface Matched<T> {
  /** For each described file, the picked file that matches it, or null. */
  files: (T | null)[];
  missing: FileDescription[];
}

const baseName = (name: string) => name.split(/[/\\]/).pop() ?? name;

export function matchFiles<T extends FileDescription>(wanted: readonly FileDescription[], picked: readonly T[]): Matched<T> {
  const pool = [...picked];
  const files = wanted.map((want) => {
    const at = pool.findIndex(
      (file) => baseName(file.name) === baseName(want.name) && file.size === want.size && file.lastModified === want.lastModified,
    );
    return at === -1 ? null : pool.splice(at, 1)[0]!;
  });
  return { files, missing: wanted.filter((_, i) => files[i] === null) };
}
