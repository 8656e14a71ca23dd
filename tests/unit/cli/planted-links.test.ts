/**
 * `ferry receive` in a folder others can write (a shared folder, /tmp): real files,
 * real links, real owners and modes in a temporary folder. Whatever someone plants
 * there, nothing is written through it, and the link's secret stays private.
 */
import { chmod, chown, lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileStore } from '../../../app/cli/file-store.ts';
import { folderBook } from '../../../app/cli/folder-book.ts';
import { PART_SUFFIX } from '../../../app/cli/received-places.ts';
import { RECORD_FOLDER, RecordFolder } from '../../../app/cli/record-folder.ts';
import { IS_LINK, nodeDisk, UnsafePlaceError } from '../../../app/cli/store-disk.ts';
import { newTransfer } from '../../../app/src/session/transfer-record.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';
import { useTempFolders } from './temp-folders.ts';
import { rootOf } from '../support/transfer-harness.ts';

const TRANSFER = 'abcdefgh1234';
const ADDRESS = { peerId: TRANSFER, secret: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', senderKey: 'a2V5' };
/** Someone else on the machine. */
const OTHER_USER = 4242;
const VICTIM_TEXT = 'echo the victim’s own file\n';

const tempFolder = useTempFolders('ferry-planted-');

/** An output folder, and beside it a file and a folder of the victim's that a link can point at. */
async function setting(): Promise<{ out: string; victimFile: string; victimFolder: string }> {
  const base = await tempFolder();
  const out = join(base, 'shared');
  const victimFolder = join(base, 'victim');
  await Promise.all([mkdir(out), mkdir(victimFolder)]);
  const victimFile = join(victimFolder, '.bashrc');
  await writeFile(victimFile, VICTIM_TEXT);
  return { out, victimFile, victimFolder };
}

function description(name: string, bytes: Uint8Array): FileDescription {
  return { name, size: bytes.length, type: 'application/octet-stream', lastModified: 1700000000000 };
}

const BYTES = new TextEncoder().encode('{"sent":"by someone"}');
const FILES = [description('a.bin', BYTES)];
/** The root of BYTES' block tree: what the sender announces and the file is verified with. */
const ROOT = await rootOf(BYTES);

/** Runs a store into `out` to the end: pinned, written, verified, moved into place. */
async function receiveInto(out: string, files = FILES): Promise<void> {
  const store = await openFileStore(out, TRANSFER, files);
  await store.pin([{ file: 0, root: ROOT }]);
  await store.write(0, 0, BYTES);
  await store.flush();
  await store.settle(0, ROOT);
  await store.close();
}

async function expectUntouched(victimFile: string, victimFolder: string): Promise<void> {
  expect(await readFile(victimFile, 'utf8')).toBe(VICTIM_TEXT);
  expect(await readdir(victimFolder)).toEqual(['.bashrc']);
}

describe('the records folder', () => {
  it('is made private, 0700, and every record in it 0600: they hold the link’s secret', async () => {
    const { out } = await setting();
    const store = await openFileStore(out, TRANSFER, FILES);
    await store.pin([{ file: 0, root: ROOT }]);
    await folderBook(out).save(newTransfer('id', ADDRESS, FILES));
    const records = join(out, RECORD_FOLDER);
    expect((await stat(records)).mode & 0o777).toBe(0o700);
    const names = await readdir(records);
    expect(names.sort()).toEqual([`${TRANSFER}.json`, `${TRANSFER}.link.json`]);
    for (const name of names) expect((await stat(join(records, name))).mode & 0o777, name).toBe(0o600);
    await store.close();
  });

  it('of ours that others may read, as Ferry once made it, is made private', async () => {
    const { out } = await setting();
    await mkdir(join(out, RECORD_FOLDER));
    await chmod(join(out, RECORD_FOLDER), 0o755);
    await receiveInto(out);
    expect((await stat(join(out, RECORD_FOLDER))).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['belongs to another user', async (path: string) => chown(path, OTHER_USER, OTHER_USER), /belongs to another user \(uid 4242\)/],
    ['can be written by its group', async (path: string) => chmod(path, 0o770), /can be written by others \(mode 770\)/],
    ['can be written by anyone, sticky or not', async (path: string) => chmod(path, 0o1777), /can be written by others \(mode 777\)/],
  ])('is refused, and nothing written there, when it %s', async (_, make, message) => {
    const { out } = await setting();
    const records = join(out, RECORD_FOLDER);
    await mkdir(records);
    await make(records);
    const refusal = await openFileStore(out, TRANSFER, FILES).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UnsafePlaceError);
    expect((refusal as Error).message).toMatch(message);
    expect((refusal as Error).message).toContain(records);
    await expect(folderBook(out).save(newTransfer('id', ADDRESS, FILES))).rejects.toBeInstanceOf(UnsafePlaceError);
    await expect(new RecordFolder(out, nodeDisk).verify()).rejects.toThrow(message);
    expect(await readdir(records)).toEqual([]);
    // Not a partial file either: the record comes first.
    expect((await readdir(out)).sort()).toEqual([RECORD_FOLDER]);
  });

  it('is checked again at each write: one handed to another user or opened to others mid-transfer is refused', async () => {
    const { out } = await setting();
    const records = join(out, RECORD_FOLDER);
    const store = await openFileStore(out, TRANSFER, FILES);
    await chmod(records, 0o777);
    await expect(store.pin([{ file: 0, root: ROOT }])).rejects.toThrow(/can be written by others/);
    await chmod(records, 0o700);
    await store.pin([{ file: 0, root: ROOT }]);
    await chown(records, OTHER_USER, OTHER_USER);
    await expect(store.pin([{ file: 0, root: ROOT }])).rejects.toThrow(/belongs to another user/);
    await store.close().catch(() => {});
  });

  it('is refused when it is a link, and nothing is written where it leads', async () => {
    const { out, victimFile, victimFolder } = await setting();
    await symlink(victimFolder, join(out, RECORD_FOLDER));
    await expect(openFileStore(out, TRANSFER, FILES)).rejects.toThrow(/\.ferry is a symbolic link, and Ferry does not write through links/);
    await expect(folderBook(out).save(newTransfer('id', ADDRESS, FILES))).rejects.toBeInstanceOf(UnsafePlaceError);
    await expect(folderBook(out).find(ADDRESS)).rejects.toBeInstanceOf(UnsafePlaceError);
    await expect(new RecordFolder(out, nodeDisk).verify()).rejects.toBeInstanceOf(UnsafePlaceError);
    await expectUntouched(victimFile, victimFolder);
  });

  it.each([`${TRANSFER}.json.tmp`, `${TRANSFER}.link.json.tmp`])('writes nothing through a link planted at the old temporary name %s, and names it before a transfer', async (name) => {
    const { out, victimFile, victimFolder } = await setting();
    await mkdir(join(out, RECORD_FOLDER), { mode: 0o700 });
    await symlink(victimFile, join(out, RECORD_FOLDER, name));
    // Written unchecked, as a store and a book do: under names of their own, never through the link.
    await receiveInto(out);
    await folderBook(out).save(newTransfer('id', ADDRESS, FILES));
    await expectUntouched(victimFile, victimFolder);
    await expect(new RecordFolder(out, nodeDisk).verify()).rejects.toThrow(`${join(out, RECORD_FOLDER, name)} is a symbolic link`);
  });

  it('refuses a link planted at a record’s own name, reading or writing, and leaves it be', async () => {
    const { out, victimFile, victimFolder } = await setting();
    await mkdir(join(out, RECORD_FOLDER), { mode: 0o700 });
    for (const name of [`${TRANSFER}.json`, `${TRANSFER}.link.json`]) await symlink(victimFile, join(out, RECORD_FOLDER, name));
    await expect(openFileStore(out, TRANSFER, FILES)).rejects.toBeInstanceOf(UnsafePlaceError);
    const book = folderBook(out);
    await expect(book.find(ADDRESS)).rejects.toBeInstanceOf(UnsafePlaceError);
    await expect(book.save(newTransfer('id', ADDRESS, FILES))).rejects.toBeInstanceOf(UnsafePlaceError);
    await expectUntouched(victimFile, victimFolder);
    expect((await lstat(join(out, RECORD_FOLDER, `${TRANSFER}.link.json`))).isSymbolicLink()).toBe(true);
    // What a failed write made of its own is gone again.
    expect((await readdir(join(out, RECORD_FOLDER))).sort()).toEqual([`${TRANSFER}.json`, `${TRANSFER}.link.json`]);
  });

  it('holds, in a folder fit to use, nothing but plain files', async () => {
    const { out } = await setting();
    await receiveInto(out);
    await new RecordFolder(out, nodeDisk).verify();
    await mkdir(join(out, RECORD_FOLDER, 'planted'));
    await expect(new RecordFolder(out, nodeDisk).verify()).rejects.toThrow(/planted is not a file Ferry wrote/);
  });
});

describe('the received files', () => {
  it('take other names than links planted where they would go, and write nothing through them', async () => {
    const { out, victimFile, victimFolder } = await setting();
    await symlink(victimFile, join(out, `a.bin${PART_SUFFIX}`));
    await symlink(victimFolder, join(out, 'photos'));
    const files = [description('a.bin', BYTES), description('photos/b.bin', BYTES)];
    const store = await openFileStore(out, TRANSFER, files);
    for (const file of [0, 1]) {
      await store.write(file, 0, BYTES);
      await store.flush();
      await store.settle(file, ROOT);
    }
    await store.close();
    expect(store.savedPath(0)).toBe(join(out, 'a (1).bin'));
    expect(store.savedPath(1)).toBe(join(out, 'photos (1)', 'b.bin'));
    await expectUntouched(victimFile, victimFolder);
  });

  it.each([
    ['another user’s photos', 'photos (1)', (path: string) => chown(path, OTHER_USER, OTHER_USER)],
    ['a photos of ours that others can write', 'photos (1)', (path: string) => chmod(path, 0o777)],
    ['a sticky photos of ours, where others cannot touch what is ours', 'photos', (path: string) => chmod(path, 0o1777)],
    ['a photos of ours that only we can write', 'photos', (path: string) => chmod(path, 0o755)],
  ])('merge into a folder there only if it is ours alone: beside %s, into %s', async (_, expected, make) => {
    const { out } = await setting();
    await mkdir(join(out, 'photos'));
    await make(join(out, 'photos'));
    const store = await openFileStore(out, TRANSFER, [description('photos/a.bin', BYTES)]);
    await store.write(0, 0, BYTES);
    await store.flush();
    await store.settle(0, ROOT);
    await store.close();
    expect(store.savedPath(0)).toBe(join(out, expected, 'a.bin'));
  });

  it('go into the folders made for them, even where the umask lets the group write them', async () => {
    const { out } = await setting();
    const files = [description('photos/a.bin', BYTES), description('photos/2024/b.bin', BYTES)];
    const umask = process.umask(0o002);
    try {
      await (await openFileStore(out, TRANSFER, files)).close();
    } finally {
      process.umask(umask);
    }
    expect((await stat(join(out, 'photos'))).mode & 0o777).toBe(0o775);
    expect((await readdir(out)).sort()).toEqual([RECORD_FOLDER, 'photos']);
    expect((await readdir(join(out, 'photos'))).sort()).toEqual(['2024', `a.bin${PART_SUFFIX}`]);
  });

  it('are not written through a link that replaced a partial file', async () => {
    const { out, victimFile, victimFolder } = await setting();
    const store = await openFileStore(out, TRANSFER, FILES);
    const part = join(out, `a.bin${PART_SUFFIX}`);
    await rm(part);
    await symlink(victimFile, part);
    await store.write(0, 0, BYTES);
    const refusal = await store.flush().catch((error: unknown) => error);
    await store.close().catch(() => {});
    await expectUntouched(victimFile, victimFolder);
    expect(refusal).toEqual(new UnsafePlaceError(part, IS_LINK));
  });

  it('are not put in place as a link that replaced a partial file after its bytes were written', async () => {
    const { out, victimFile, victimFolder } = await setting();
    const store = await openFileStore(out, TRANSFER, FILES);
    await store.pin([{ file: 0, root: ROOT }]);
    await store.write(0, 0, BYTES);
    await store.flush();
    // Every byte is written and on disk; the file is verified next, and moved into place.
    const part = join(out, `a.bin${PART_SUFFIX}`);
    await rm(part);
    await symlink(victimFile, part);
    // A store's failure surfaces at its next settle or flush (transfer/store.ts).
    const refusal = await store
      .settle(0, ROOT)
      .then(() => store.flush())
      .catch((error: unknown) => error);
    await store.close().catch(() => {});
    expect(refusal).toEqual(new UnsafePlaceError(part, IS_LINK));
    await expectUntouched(victimFile, victimFolder);
    // The link stays where it was planted: nothing named as a received file leads anywhere.
    expect((await readdir(out)).filter((name) => !name.startsWith('.'))).toEqual([`a.bin${PART_SUFFIX}`]);
  });

  it('are not resumed through a link that replaced a partial file between runs', async () => {
    const { out, victimFile, victimFolder } = await setting();
    const first = await openFileStore(out, TRANSFER, FILES);
    await first.write(0, 0, BYTES.subarray(0, 5));
    await first.close();
    const part = join(out, `a.bin${PART_SUFFIX}`);
    await rm(part);
    await symlink(victimFile, part);
    await expect(openFileStore(out, TRANSFER, FILES)).rejects.toBeInstanceOf(UnsafePlaceError);
    await expectUntouched(victimFile, victimFolder);
  });

  it('are not resumed through a folder that became a link between runs', async () => {
    const { out, victimFile, victimFolder } = await setting();
    const files = [description('photos/a.bin', BYTES)];
    const first = await openFileStore(out, TRANSFER, files);
    await first.write(0, 0, BYTES.subarray(0, 5));
    await first.close();
    await rename(join(out, 'photos'), join(out, 'moved'));
    await symlink(victimFolder, join(out, 'photos'));
    const refusal = await openFileStore(out, TRANSFER, files).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UnsafePlaceError);
    expect((refusal as Error).message).toBe(`${join(out, 'photos')} is a symbolic link, and Ferry does not write through links. Remove it, or receive into another folder.`);
    await expectUntouched(victimFile, victimFolder);
  });
});
