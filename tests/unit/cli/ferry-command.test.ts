import { execFile } from 'node:child_process';
import { chown, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { USAGE } from '../../../app/cli/args.ts';
import { EXIT } from '../../../app/cli/exit-codes.ts';
import { openFileStore } from '../../../app/cli/file-store.ts';
import { folderBook } from '../../../app/cli/folder-book.ts';
import { RECORD_FOLDER } from '../../../app/cli/record-folder.ts';
import { newTransfer } from '../../../app/src/session/transfer-record.ts';
import { base64url, newSecret, SENDER_KEY_BYTES, shareLink } from '../../../app/src/transfer/link.ts';
import { useTempFolders } from './temp-folders.ts';

const LAUNCHER = fileURLToPath(new URL('../../../app/cli/bin/ferry.js', import.meta.url));

/** Runs `ferry` as a person would, from a folder outside the repository. */
function ferry(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LAUNCHER, ...argv], { cwd: os.tmpdir() }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('the ferry command', () => {
  it('prints the usage for --help and exits 0', async () => {
    expect(await ferry('--help')).toEqual({ code: EXIT.ok, stdout: `${USAGE}\n`, stderr: '' });
  }, 20_000);

  it('prints the package’s version for --version', async () => {
    expect(await ferry('--version')).toEqual({ code: EXIT.ok, stdout: `ferry ${packageJson.version}\n`, stderr: '' });
  }, 20_000);

  it('says what is wrong with a command line on stderr, with the usage, and exits 2', async () => {
    const { code, stdout, stderr } = await ferry('receive');
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toBe(`ferry: receive needs the share link\n\n${USAGE}\n`);
  }, 20_000);

  it('says in one line on stderr what is wrong with a link, without the usage, and exits 2', async () => {
    const { code, stdout, stderr } = await ferry('receive', 'https://ferry.example/#/r/abc');
    expect({ code, stdout, stderr }).toEqual({ code: EXIT.usage, stdout: '', stderr: 'ferry: the link has no valid sender id: copy the whole link again\n' });
  }, 20_000);
});

describe('ferry receive into a folder others can write', () => {
  const tempFolder = useTempFolders('ferry-command-');
  const address = { peerId: 'plantedlinks2026', secret: newSecret(), senderKey: base64url(new Uint8Array(SENDER_KEY_BYTES).fill(7)) };
  // A server that is not there: nothing may be dialled, and nothing leaves the machine if it were.
  const link = shareLink('http://127.0.0.1:9', address);

  it('refuses a .ferry another user owns, in one line, exits 5, and writes nothing there', async () => {
    const out = await tempFolder();
    await mkdir(join(out, RECORD_FOLDER));
    await chown(join(out, RECORD_FOLDER), 4242, 4242);
    const { code, stdout, stderr } = await ferry('receive', link, '--out', out);
    expect({ code, stdout }).toEqual({ code: EXIT.unsafeFolder, stdout: '' });
    expect(stderr).toBe(
      `Cannot store the files in ${out}: ${join(out, RECORD_FOLDER)} belongs to another user (uid 4242), and Ferry keeps its records only in a folder of its own. Remove it, or receive into another folder.\n`,
    );
    expect(await readdir(join(out, RECORD_FOLDER))).toEqual([]);
  }, 20_000);

  it('refuses to resume through a partial file that became a link, exits 5, and writes nothing through it', async () => {
    const out = await tempFolder();
    const files = [{ name: 'notes.txt', size: 5, type: 'text/plain', lastModified: 0 }];
    await folderBook(out).save(newTransfer('id', address, files));
    await (await openFileStore(out, address.peerId, files)).close();
    const victim = join(await tempFolder(), '.profile');
    await writeFile(victim, 'theirs');
    await rm(join(out, 'notes.txt.ferry-part'));
    await symlink(victim, join(out, 'notes.txt.ferry-part'));
    const { code, stderr } = await ferry('receive', link, '--out', out);
    expect(code).toBe(EXIT.unsafeFolder);
    expect(stderr).toMatch(/^Cannot store the files in .*notes\.txt\.ferry-part is a symbolic link, and Ferry does not write through links\. Remove it, or receive into another folder\.\n$/);
    expect(await readFile(victim, 'utf8')).toBe('theirs');
  }, 20_000);
});
