/**
 * "Save all" into a folder the person picked (File System Access API), never
 * overwriting. What each folder holds is read once, and a file whose name is taken
 * there — by a file or a folder, in any case — is saved as "name (1).ext", as a copy
 * in Finder or Explorer would be. Received folders merge into existing folders of
 * their name. One file that fails does not stop the rest: the failures are returned.
 *
 * The listing is compared by nameKey, so a batch lands the same way on every system;
 * a probe of each chosen name (getFileHandle without `create`) then catches what a
 * listing cannot know: a name this file system takes as equal by other rules, or one
 * written meanwhile.
 */
import { safePath } from '../common/names.ts';
import { nameKey, TakenNames, uniquePaths } from '../files/unique-names.ts';

export interface FolderFile {
  /** The name the peer sent, a relative path perhaps. */
  name: string;
  blob(): Promise<Blob>;
}

export interface SaveFailure {
  /** Index of the file in the batch. */
  index: number;
  /** The relative path it was to be saved under. */
  path: string;
  error: unknown;
}

/** Saves `files` under `root`; returns the files that could not be saved, [] when all were. */
export async function saveIntoFolder(root: FileSystemDirectoryHandle, files: readonly FolderFile[]): Promise<SaveFailure[]> {
  const paths = uniquePaths(files.map((file) => safePath(file.name)));
  const top = new Folder(root);
  const failures: SaveFailure[] = [];
  for (const [index, file] of files.entries()) {
    const path = paths[index]!;
    try {
      let folder = top;
      for (const segment of path.slice(0, -1)) folder = await folder.folder(segment);
      await folder.write(path.at(-1)!, file);
    } catch (error) {
      failures.push({ index, path: path.join('/'), error });
    }
  }
  return failures;
}

/** What Chromium has and TypeScript's DOM lib (without DOM.AsyncIterable) does not declare. */
type Listable = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

/** A folder on disk with the names taken in it: found there, or written by us. */
class Folder {
  #taken: TakenNames | null = null;
  /** Existing subfolders by nameKey, spelled as on disk; then the ones opened or made. */
  readonly #folders = new Map<string, string | Folder>();

  constructor(readonly handle: FileSystemDirectoryHandle) {}

  /** The subfolder `name`: the one there of that name, or a new one, renamed if a file has the name. */
  async folder(name: string): Promise<Folder> {
    const taken = await this.#list();
    const key = nameKey(name);
    const known = this.#folders.get(key);
    if (known instanceof Folder) return known;
    const folder = new Folder(known === undefined ? await this.#newFolder(taken, name) : await this.handle.getDirectoryHandle(known));
    this.#folders.set(key, folder);
    return folder;
  }

  /** Writes `file` under `name`, or the first free "name (n)"; returns the name used. */
  async write(name: string, file: FolderFile): Promise<string> {
    const taken = await this.#list();
    let free = taken.claim(name);
    while (await this.#present(free)) free = taken.claim(name);
    const handle = await this.handle.getFileHandle(free, { create: true });
    try {
      // pipeTo closes the file when done; until then the browser writes to a swap file.
      await (await file.blob()).stream().pipeTo(await handle.createWritable());
    } catch (error) {
      // The name was free, so the empty file left is ours to remove.
      await this.handle.removeEntry(free).catch(() => {});
      throw error;
    }
    return free;
  }

  async #newFolder(taken: TakenNames, name: string): Promise<FileSystemDirectoryHandle> {
    for (;;) {
      try {
        return await this.handle.getDirectoryHandle(taken.claim(name), { create: true });
      } catch (error) {
        // A file the listing did not show has this name: take the next one.
        if ((error as Error).name !== 'TypeMismatchError') throw error;
      }
    }
  }

  /** Whether something (a file or a folder) is there under `name`, asking the file system itself. */
  async #present(name: string): Promise<boolean> {
    try {
      await this.handle.getFileHandle(name);
      return true;
    } catch (error) {
      const { name: kind } = error as Error;
      if (kind === 'NotFoundError') return false;
      if (kind === 'TypeMismatchError') return true;
      throw error;
    }
  }

  async #list(): Promise<TakenNames> {
    if (this.#taken) return this.#taken;
    const names: string[] = [];
    for await (const entry of (this.handle as Listable).values()) {
      names.push(entry.name);
      if (entry.kind === 'directory' && !this.#folders.has(nameKey(entry.name))) this.#folders.set(nameKey(entry.name), entry.name);
    }
    this.#taken = new TakenNames(names);
    return this.#taken;
  }
}
