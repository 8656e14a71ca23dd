/**
 * Ferry's own folder inside the output folder, `.ferry`, where each transfer's records
 * live (store-journal.ts, folder-book.ts); they hold the link's secret. The output
 * folder may be shared (a team folder, /tmp), so `.ferry` is private, 0700 with files
 * 0600, and is used only while it is: a `.ferry` that is a link, that another user
 * owns or that others can write is refused, for whoever can put a link in it can turn
 * our next write into a write to a file of their choosing. Each file is written
 * whole under a fresh, unguessable name, created exclusively and without following
 * links, then renamed over the old one: a kill at any moment leaves the record before
 * or the record after, never a mix, and never a write through something planted.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { errorCode, ignoring, IS_LINK, OPEN, openUnfollowed, UnsafePlaceError, WRITABLE_BY_OTHERS, type Disk } from './store-disk.ts';

export const RECORD_FOLDER = '.ferry';
const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;
const TEMPORARY = '.tmp';

export class RecordFolder {
  readonly path: string;
  readonly #disk: Disk;
  /** The folder last found to be ours alone; its change time, as a folder made anew on a freed inode has another. */
  #checked: { ino: bigint; dev: bigint; ctimeNs: bigint } | null = null;

  constructor(root: string, disk: Disk) {
    this.path = join(root, RECORD_FOLDER);
    this.#disk = disk;
  }

  pathOf(name: string): string {
    return join(this.path, name);
  }

  /** The text of file `name`, or null if there is none (nor any folder). */
  async read(name: string): Promise<string | null> {
    if (!(await this.#check())) return null;
    let file;
    try {
      file = await openUnfollowed(this.#disk, this.pathOf(name), OPEN.read);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
    try {
      return await file.readFile('utf8');
    } finally {
      await file.close();
    }
  }

  /** Replaces file `name` with `text`, synced, in the folder made private if it is not there. */
  async replace(name: string, text: string): Promise<void> {
    await this.#disk.mkdir(this.path, { mode: PRIVATE_FOLDER }).catch(ignoring('EEXIST'));
    if (!(await this.#check())) throw new Error(`${this.path} was removed while Ferry was writing to it`);
    const temporary = this.pathOf(`${name}.${randomBytes(12).toString('hex')}${TEMPORARY}`);
    const file = await openUnfollowed(this.#disk, temporary, OPEN.create, PRIVATE_FILE);
    try {
      try {
        await file.writeFile(text);
        await file.datasync();
      } finally {
        await file.close();
      }
      // A rename replaces a link rather than writing through it; still, a link where
      // our record should be was planted, and says the folder is not ours alone.
      if ((await this.#facts(this.pathOf(name)))?.isSymbolicLink()) throw new UnsafePlaceError(this.pathOf(name), IS_LINK);
      await this.#disk.rename(temporary, this.pathOf(name));
    } catch (error) {
      await this.#disk.unlink(temporary).catch(() => {});
      throw error;
    }
  }

  /** Deletes file `name`, and what a write of it cut short left behind. */
  async delete(name: string): Promise<void> {
    let entries: { name: string }[];
    try {
      entries = await this.#disk.readdir(this.path, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    const leftovers = entries.filter((entry) => entry.name.startsWith(`${name}.`) && entry.name.endsWith(TEMPORARY));
    for (const entry of [{ name }, ...leftovers]) await this.#disk.unlink(this.pathOf(entry.name)).catch(ignoring('ENOENT'));
  }

  /** Deletes the folder once no transfer has a file left in it. */
  async deleteIfEmpty(): Promise<void> {
    await this.#disk.rmdir(this.path).catch(ignoring('ENOENT', 'ENOTEMPTY', 'EEXIST'));
  }

  /**
   * Checks, before a transfer begins, the folder as every read and write does, and
   * that it holds nothing but plain files: a link planted there is named at once,
   * not met halfway. No folder is fine: it is made private when first written.
   */
  async verify(): Promise<void> {
    if (!(await this.#check())) return;
    for (const { name } of await this.#disk.readdir(this.path, { withFileTypes: true })) {
      const facts = await this.#facts(this.pathOf(name));
      if (facts?.isSymbolicLink()) throw new UnsafePlaceError(this.pathOf(name), IS_LINK);
      if (facts && !facts.isFile()) throw new UnsafePlaceError(this.pathOf(name), 'is not a file Ferry wrote');
    }
  }

  /**
   * Whether the folder is there, once checked to be ours alone: a real folder, not a
   * link; owned by us; writable by nobody else (one of ours that others may read, as
   * Ferry once made it, is made private). Throws UnsafePlaceError if it is not.
   */
  async #check(): Promise<boolean> {
    const facts = await this.#facts(this.path);
    if (!facts) return false;
    const why = (what: string) => new UnsafePlaceError(this.path, `${what}, and Ferry keeps its records only in a folder of its own`);
    if (facts.isSymbolicLink()) throw new UnsafePlaceError(this.path, IS_LINK);
    if (!facts.isDirectory()) throw why('is not a folder');
    const owner = process.getuid?.();
    // Windows has no owners or modes to check: its folders inherit their parent's access.
    if (owner === undefined) return true;
    // Only its owner (or root) can change a folder's owner or mode: the folder found fine stays so.
    const checked = this.#checked;
    if (checked?.ino === facts.ino && checked.dev === facts.dev && checked.ctimeNs === facts.ctimeNs) return true;
    // Asked of the folder as opened, without following a link: the answer is about it, not about what its name led to.
    const folder = await openUnfollowed(this.#disk, this.path, OPEN.folder);
    try {
      const opened = await folder.stat({ bigint: true });
      const [uid, mode] = [Number(opened.uid), Number(opened.mode) & 0o777];
      if (uid !== owner) throw why(`belongs to another user (uid ${uid})`);
      if ((mode & WRITABLE_BY_OTHERS) !== 0) throw why(`can be written by others (mode ${mode.toString(8)})`);
      if (mode !== PRIVATE_FOLDER) await folder.chmod(PRIVATE_FOLDER);
      this.#checked = { ino: opened.ino, dev: opened.dev, ctimeNs: opened.ctimeNs };
    } finally {
      await folder.close();
    }
    return true;
  }

  /** What is at `path` itself (a link as a link), or null if nothing is. */
  async #facts(path: string) {
    try {
      return await this.#disk.lstat(path, { bigint: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }
}
