/**
 * "Save all" into a picked folder, through saveFiles, against an in-memory folder that
 * behaves as the File System Access API does on macOS and Windows: names compare
 * case-insensitively, a file cannot be opened as a folder nor a folder as a file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NotAllSavedError, saveFiles, type Saveable } from '../../../app/src/storage/save.ts';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const domError = (name: string) => new DOMException(name, name);

class FakeFile {
  readonly kind = 'file';
  constructor(
    readonly name: string,
    public text = '',
  ) {}

  async createWritable(): Promise<WritableStream<Uint8Array>> {
    const chunks: Uint8Array[] = [];
    return new WritableStream({
      write: (chunk) => void chunks.push(chunk),
      close: () => void (this.text = new TextDecoder().decode(Buffer.concat(chunks))),
    });
  }
}

class FakeFolder {
  readonly kind = 'directory';
  readonly entries: (FakeFolder | FakeFile)[] = [];
  /** Names present but left out of the listing, as if written after it was read. */
  readonly unlisted = new Set<string>();

  constructor(readonly name = '') {}

  async getDirectoryHandle(name: string, { create = false } = {}): Promise<FakeFolder> {
    const found = this.entries.find((entry) => same(entry.name, name));
    if (found instanceof FakeFile) throw domError('TypeMismatchError');
    if (found) return found;
    if (!create) throw domError('NotFoundError');
    const folder = new FakeFolder(name);
    this.entries.push(folder);
    return folder;
  }

  async getFileHandle(name: string, { create = false } = {}): Promise<FakeFile> {
    const found = this.entries.find((entry) => same(entry.name, name));
    if (found instanceof FakeFolder) throw domError('TypeMismatchError');
    if (found) return found;
    if (!create) throw domError('NotFoundError');
    const file = new FakeFile(name);
    this.entries.push(file);
    return file;
  }

  async removeEntry(name: string): Promise<void> {
    const at = this.entries.findIndex((entry) => same(entry.name, name));
    if (at < 0) throw domError('NotFoundError');
    this.entries.splice(at, 1);
  }

  async *values(): AsyncGenerator<FakeFolder | FakeFile> {
    for (const entry of this.entries) if (!this.unlisted.has(entry.name)) yield entry;
  }

  /** Every file below, as "path: text". */
  tree(prefix = ''): string[] {
    return this.entries.flatMap((entry) =>
      entry instanceof FakeFolder ? entry.tree(`${prefix}${entry.name}/`) : [`${prefix}${entry.name}: ${entry.text}`],
    );
  }
}

function folderWith(entries: (FakeFolder | FakeFile)[], name = ''): FakeFolder {
  const folder = new FakeFolder(name);
  folder.entries.push(...entries);
  return folder;
}

const received = (name: string, text = name): Saveable => ({ name, size: text.length, blob: async () => new Blob([text]), url: '' });

/** Saves `files` into `folder` as if the person picked it. */
async function saveInto(folder: FakeFolder, files: Saveable[]): Promise<unknown> {
  (globalThis as { window?: unknown }).window = { showDirectoryPicker: async () => folder };
  return saveFiles(files, 'picker').catch((error: unknown) => error);
}

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
});

describe('saving all into a picked folder', () => {
  it('never overwrites a file there, whatever its case', async () => {
    const folder = folderWith([new FakeFile('a.txt', 'kept'), new FakeFile('Photo.JPG', 'kept too')]);
    expect(await saveInto(folder, [received('a.txt'), received('photo.jpg')])).toBe('saved');
    expect(folder.tree()).toEqual(['a.txt: kept', 'Photo.JPG: kept too', 'a (1).txt: a.txt', 'photo (1).jpg: photo.jpg']);
  });

  it('keeps apart names that differ only in case or cleaned to the same', async () => {
    const folder = new FakeFolder();
    await saveInto(folder, [received('a:b.txt'), received('ab.txt'), received('AB.TXT')]);
    expect(folder.tree()).toEqual(['ab.txt: a:b.txt', 'ab (1).txt: ab.txt', 'AB (2).TXT: AB.TXT']);
  });

  it('renames a file named like a folder there, and saves the rest of the batch', async () => {
    const folder = folderWith([new FakeFolder('notes')]);
    expect(await saveInto(folder, [received('notes'), received('b.txt')])).toBe('saved');
    expect(folder.tree()).toEqual(['notes (1): notes', 'b.txt: b.txt']);
  });

  it('merges into a folder there, and renames a folder whose name a file has', async () => {
    const folder = folderWith([folderWith([new FakeFile('a.jpg', 'kept')], 'Photos'), new FakeFile('trip', 'kept')]);
    await saveInto(folder, [received('photos/a.jpg'), received('photos/b.jpg'), received('trip/c.jpg')]);
    expect(folder.tree()).toEqual([
      'Photos/a.jpg: kept',
      'Photos/a (1).jpg: photos/a.jpg',
      'Photos/b.jpg: photos/b.jpg',
      'trip: kept',
      'trip (1)/c.jpg: trip/c.jpg',
    ]);
  });

  it('asks the folder itself before writing, for names its listing did not show', async () => {
    const folder = folderWith([new FakeFile('a.txt', 'kept')]);
    folder.unlisted.add('a.txt');
    await saveInto(folder, [received('a.txt')]);
    expect(folder.tree()).toEqual(['a.txt: kept', 'a (1).txt: a.txt']);
  });

  it('saves the rest when one file fails, names the one that failed, and leaves no empty file of it', async () => {
    const folder = new FakeFolder();
    const broken = { ...received('b.txt'), blob: () => Promise.reject(domError('NotReadableError')) };
    const result = await saveInto(folder, [received('a.txt'), broken, received('c.txt')]);
    expect(result).toBeInstanceOf(NotAllSavedError);
    expect((result as NotAllSavedError).failures.map(({ index, path }) => [index, path])).toEqual([[1, 'b.txt']]);
    expect(folder.tree()).toEqual(['a.txt: a.txt', 'c.txt: c.txt']);
  });
});
