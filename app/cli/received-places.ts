/**
 * Where received files go in the output folder. Names a peer sent are made safe
 * (common/names.ts): a path inside the share becomes sub-folders, and nothing climbs out of
 * the folder. Names the share repeats, and names already taken in the folder, are
 * numbered the way operating systems do ("name (1).ext", files/unique-names.ts): nothing
 * there is ever overwritten. A received folder whose name is there already, in any
 * case, is merged into it, as save-folder.ts does in the browser, if it is ours alone.
 *
 * Each file is gathered in a partial file beside its place, "name.ext.ferry-part",
 * visible like a browser's ".crdownload": a transfer left unfinished shows what it
 * holds and can be deleted by hand, where a hidden partial would fill a disk unseen.
 * A name is free only if its partial's name is too: another transfer's partial marks
 * the name that transfer will take.
 *
 * The folder may be shared, and what others put in it is never written through: a
 * link is a taken name, never a folder to merge into, nor is a folder someone else
 * could swap things in; and each folder on the way to a file is checked to be a real
 * folder, not a link, before the file is touched.
 */
import { join } from 'node:path';
import { safePath } from '../src/common/names.ts';
import { nameKey, TakenNames, uniquePaths } from '../src/files/unique-names.ts';
import { errorCode, IS_LINK, UnsafePlaceError, WRITABLE_BY_OTHERS, type Disk } from './store-disk.ts';

export const PART_SUFFIX = '.ferry-part';
/** Others may write a sticky folder, but not rename or remove what is ours in it. */
const STICKY = 0o1000;

/** Paths inside the output folder: '/'-separated whatever the system, to store and compare. */
export type RelativePath = string;

/** Names in one folder of the output, as they are on disk and as we claim them. */
interface Listing {
  taken: TakenNames;
  /** Sub-folders by nameKey, spelled as on disk. */
  folders: Map<string, string>;
}

export class ReceivedPlaces {
  readonly #root: string;
  readonly #disk: Disk;
  /** By relative folder path; promises, so files placed at once list a folder once. */
  readonly #listings = new Map<RelativePath, Promise<Listing>>();
  /** Folders made for this transfer: whatever the umask made of their mode, its files go in them. */
  readonly #made = new Set<RelativePath>();

  constructor(root: string, disk: Disk) {
    this.#root = root;
    this.#disk = disk;
  }

  /**
   * Free places for files named `names` by a peer, in order, with the folders they go
   * in made. Like uniquePaths, folders first: a folder keeps its name for every file
   * inside it, a file gives way.
   */
  async plan(names: readonly string[]): Promise<RelativePath[]> {
    const paths = uniquePaths(names.map(safePath));
    const folders = new Map<string, RelativePath>();
    for (const path of paths) {
      const key = path.slice(0, -1).join('/');
      if (!folders.has(key)) folders.set(key, await this.#folder(path.slice(0, -1)));
    }
    return Promise.all(paths.map((path) => this.claim(folders.get(path.slice(0, -1).join('/'))!, path.at(-1)!)));
  }

  /**
   * A name in `folder` that nothing on disk, nor any claim before it, takes: `name` or
   * a numbered one, whose partial's name is free too.
   */
  async claim(folder: RelativePath, name: string): Promise<RelativePath> {
    const { taken } = await this.#list(folder);
    let free = taken.claim(name);
    while (taken.has(free + PART_SUFFIX)) free = taken.claim(name);
    taken.add(free + PART_SUFFIX);
    return joinRelative(folder, free);
  }

  /** The folder on disk for `segments` (safe names), spelled as found there or made now. */
  async #folder(segments: readonly string[]): Promise<RelativePath> {
    let at: RelativePath = '';
    for (const segment of segments) {
      const listing = await this.#list(at);
      let found = listing.folders.get(nameKey(segment));
      if (found !== undefined && !(await this.#mergeable(joinRelative(at, found)))) found = undefined;
      while (found === undefined) {
        const name = listing.taken.claim(segment);
        try {
          await this.#disk.mkdir(await this.checked(joinRelative(at, name)));
          this.#made.add(joinRelative(at, name));
          listing.folders.set(nameKey(segment), (found = name));
        } catch (error) {
          // Made meanwhile by someone else: theirs, so take the next name.
          if (errorCode(error) !== 'EEXIST') throw error;
        }
      }
      at = joinRelative(at, found);
    }
    return at;
  }

  /**
   * Whether files may go into the folder at `path`: one made for this transfer, or one
   * there before that is ours and where nobody else can replace what we put in it.
   * Another's is a taken name.
   */
  async #mergeable(path: RelativePath): Promise<boolean> {
    const owner = process.getuid?.();
    // Windows has no owners or modes to go by.
    if (owner === undefined || this.#made.has(path)) return true;
    const facts = await this.#disk.lstat(await this.checked(path), { bigint: true });
    const mode = Number(facts.mode);
    return Number(facts.uid) === owner && ((mode & WRITABLE_BY_OTHERS) === 0 || (mode & STICKY) !== 0);
  }

  #list(folder: RelativePath): Promise<Listing> {
    let listing = this.#listings.get(folder);
    if (!listing) this.#listings.set(folder, (listing = this.#read(folder)));
    return listing;
  }

  async #read(folder: RelativePath): Promise<Listing> {
    const entries = await this.#disk.readdir(await this.#checkedFolder(folder), { withFileTypes: true });
    const taken = new TakenNames(entries.map(({ name }) => name));
    const folders = new Map<string, string>();
    // A link to a folder is not entered: it could lead out of the output folder.
    for (const entry of entries) if (entry.isDirectory()) folders.set(nameKey(entry.name), entry.name);
    return { taken, folders };
  }

  /** Where `path` is on this system. */
  absolute(path: RelativePath): string {
    return path === '' ? this.#root : join(this.#root, ...path.split('/'));
  }

  /**
   * Where `path` is on this system, once every folder on the way there (not the
   * output folder, which the person chose) is checked to be a real folder: one that
   * became a link since would lead the write out of the output folder. Throws
   * UnsafePlaceError. The name itself is the caller's to open without following.
   */
  async checked(path: RelativePath): Promise<string> {
    await this.#checkedFolder(splitRelative(path)[0]);
    return this.absolute(path);
  }

  async #checkedFolder(folder: RelativePath): Promise<string> {
    let at: RelativePath = '';
    for (const segment of folder === '' ? [] : folder.split('/')) {
      at = joinRelative(at, segment);
      const facts = await this.#disk.lstat(this.absolute(at), { bigint: true });
      if (facts.isSymbolicLink()) throw new UnsafePlaceError(this.absolute(at), IS_LINK);
      if (!facts.isDirectory()) throw new UnsafePlaceError(this.absolute(at), 'is not a folder');
    }
    return this.absolute(folder);
  }
}

function joinRelative(folder: RelativePath, name: string): RelativePath {
  return folder === '' ? name : `${folder}/${name}`;
}

/** The folder a relative path is in, and its last name. */
export function splitRelative(path: RelativePath): [folder: RelativePath, name: string] {
  const slash = path.lastIndexOf('/');
  return [slash === -1 ? '' : path.slice(0, slash), path.slice(slash + 1)];
}
