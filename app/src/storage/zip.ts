/**
 * One ZIP of a transfer's verified files, streamed: each file is read from storage as
 * the archive reaches it, and sizes known up front give the exact length (ZIP64 past
 * 4 GiB, which client-zip switches to by itself). Paths keep their folders, made
 * unique: two entries at one path (names that cleaned to the same, or differ only in
 * case, as unzipping on macOS or Windows would see them) would make the unzip tool ask
 * to overwrite, and a file beside a folder of its name cannot be unpacked at all.
 */
import { makeZip, predictLength } from 'client-zip';
import { safePath, zipName } from '../common/names.ts';
import { uniquePaths } from '../files/unique-names.ts';
import type { VerifiedFile } from './stored-file.ts';

export interface Zip {
  name: string;
  /** Exact byte length of the archive. */
  length: number;
  stream: ReadableStream<Uint8Array>;
}

export function zipOf(files: readonly VerifiedFile[]): Zip {
  const names = uniquePaths(files.map((file) => safePath(file.name))).map((path) => path.join('/'));
  async function* entries() {
    for (const [at, file] of files.entries()) {
      yield { name: names[at]!, lastModified: new Date(file.lastModified), size: file.size, input: await file.open() };
    }
  }
  return {
    name: zipName(files.map((file) => file.name)),
    length: Number(predictLength(files.map((file, at) => ({ name: names[at]!, size: file.size })))),
    stream: makeZip(entries()),
  };
}
