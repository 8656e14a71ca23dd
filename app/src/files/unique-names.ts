/**
 * Names that never clash. When files land in a folder that already holds some, or
 * several received names clean to one, the later ones are renamed the way operating
 * systems do: "name (1).ext", "name (2).ext". Nothing is overwritten.
 *
 * Names clash by nameKey, which is coarser than any file system's comparison: two
 * names one system takes for the same must never both be written, while a needless
 * " (1)" harms nothing.
 */
import { MAX_NAME_BYTES, splitExtension } from '../common/names.ts';
import { cutToBytes, utf8Length } from '../common/unicode.ts';

/**
 * What two names clash by: canonical equivalence (APFS takes a composed "é" and a
 * decomposed one for the same name) and case (macOS and Windows ignore it by default),
 * whichever system this is, so a batch lands the same way everywhere.
 */
export function nameKey(name: string): string {
  // Upper then lower: "ß" and "ss", "ς" and "σ" compare equal too.
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * `name` with counter `n`: "name (n).ext", or "archive (n).tar.gz" as Chrome numbers
 * downloads; the name is shortened if need be to stay within MAX_NAME_BYTES.
 */
export function numbered(name: string, n: number): string {
  const [base, last] = splitExtension(name);
  const [stem, extension] = /.\.tar$/i.test(base) ? [base.slice(0, -4), base.slice(-4) + last] : [base, last];
  const counter = ` (${n})`;
  return cutToBytes(stem, MAX_NAME_BYTES - utf8Length(counter + extension)) + counter + extension;
}

/** The names taken in one folder; each claim takes the first free one. */
export class TakenNames {
  readonly #taken = new Set<string>();
  /** The next counter to try per name, so a thousand copies of one name take linear time. */
  readonly #next = new Map<string, number>();

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.#taken.add(nameKey(name));
  }

  has(name: string): boolean {
    return this.#taken.has(nameKey(name));
  }

  add(name: string): void {
    this.#taken.add(nameKey(name));
  }

  /** `name` if it is free, else the first free "name (n)"; taken from now on. */
  claim(name: string): string {
    const key = nameKey(name);
    let n = this.#next.get(key) ?? 1;
    let free = name;
    while (this.#taken.has(nameKey(free))) free = numbered(name, n++);
    this.#next.set(key, n);
    this.add(free);
    return free;
  }
}

/** Each of `names` made free of `taken` and of the names before it, in order. */
export function uniqueNames(names: readonly string[], taken: Iterable<string> = []): string[] {
  const claimed = new TakenNames(taken);
  return names.map((name) => claimed.claim(name));
}

/**
 * Paths (as segments) that can all be written into one tree, as a ZIP or a folder:
 * folders that differ only by nameKey are one folder, spelled as first seen, and each
 * file takes a name no other file or folder beside it has.
 */
export function uniquePaths(paths: readonly (readonly string[])[]): string[][] {
  const spellings = new Map<string, string>();
  const folders = new Map<string, TakenNames>();
  const namesIn = (folder: string) => {
    let names = folders.get(folder);
    if (!names) folders.set(folder, (names = new TakenNames()));
    return names;
  };
  // Folders first: a folder keeps its name for every file inside, a file gives way.
  const canonical = paths.map((path) => {
    let parent = '';
    return path.slice(0, -1).map((segment) => {
      const key = `${parent}/${nameKey(segment)}`;
      let spelled = spellings.get(key);
      if (spelled === undefined) {
        spellings.set(key, (spelled = segment));
        namesIn(parent).add(segment);
      }
      parent = `${parent}/${spelled}`;
      return spelled;
    });
  });
  return paths.map((path, at) => {
    const folder = canonical[at]!;
    return [...folder, namesIn(folder.map((segment) => `/${segment}`).join('')).claim(path.at(-1) ?? '')];
  });
}
