import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSources, findFiles, typeOf, UnsendablePathError } from '../../../app/cli/local-files.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-files-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the files ferry send offers', () => {
  it('names a folder’s files by their path from the folder, as a browser does, in name order', async () => {
    await mkdir(join(dir, 'photos', 'b-trip'), { recursive: true });
    await writeFile(join(dir, 'photos', 'z.jpg'), 'z');
    await writeFile(join(dir, 'photos', 'a.txt'), 'aa');
    await writeFile(join(dir, 'photos', 'b-trip', 'c.png'), 'ccc');
    await writeFile(join(dir, 'report.pdf'), 'pdf!');
    const found = await findFiles([join(dir, 'report.pdf'), join(dir, 'photos')]);
    expect(found.map(({ name, size }) => [name, size])).toEqual([
      ['report.pdf', 4],
      ['photos/a.txt', 2],
      ['photos/b-trip/c.png', 3],
      ['photos/z.jpg', 1],
    ]);
  });

  it('follows links to files and folders', async () => {
    await mkdir(join(dir, 'real'));
    await writeFile(join(dir, 'real', 'x'), 'x');
    await mkdir(join(dir, 'share'));
    await symlink(join(dir, 'real'), join(dir, 'share', 'linked'));
    expect((await findFiles([join(dir, 'share')])).map((file) => file.name)).toEqual(['share/linked/x']);
  });

  it('refuses, before any link is made, a path that is missing, an empty folder, or not a file', async () => {
    await mkdir(join(dir, 'empty'));
    await expect(findFiles([join(dir, 'nope')])).rejects.toMatchObject({ reason: 'missing' });
    await expect(findFiles([join(dir, 'empty')])).rejects.toMatchObject({ reason: 'empty-folder' });
    await expect(findFiles(['/dev/null'])).rejects.toBeInstanceOf(UnsendablePathError);
  });

  it('reads any block of a file, with many files read in turn', async () => {
    const names = Array.from({ length: 40 }, (_, index) => `f${String(index).padStart(2, '0')}`);
    await Promise.all(names.map((name, index) => writeFile(join(dir, name), `${index}`.repeat(10))));
    const { sources, close } = fileSources(await findFiles(names.map((name) => join(dir, name))));
    for (let round = 0; round < 2; round++) {
      for (const [index, source] of sources.entries()) {
        const text = new TextDecoder().decode(await source.read(2, 6));
        expect(text).toBe(`${index}`.repeat(10).slice(2, 6));
      }
    }
    await close();
  });

  it('fails a read of a file that shrank since it was offered, rather than send short', async () => {
    await writeFile(join(dir, 'log'), 'x'.repeat(100));
    const { sources, close } = fileSources(await findFiles([join(dir, 'log')]));
    await truncate(join(dir, 'log'), 10);
    await expect(sources[0]!.read(0, 100)).rejects.toThrow(/changed/);
    await close();
  });

  it('gives common files their type, so a phone opens them with the right app', () => {
    expect(typeOf('Scan.PDF')).toBe('application/pdf');
    expect(typeOf('photos/a.jpeg')).toBe('image/jpeg');
    expect(typeOf('data.bin')).toBe('application/octet-stream');
  });
});
