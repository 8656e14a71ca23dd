import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeDigest } from '../../../app/cli/block-digest-node.ts';
import { EXIT } from '../../../app/cli/exit-codes.ts';
import { hashFiles, shownName } from '../../../app/cli/hash-command.ts';
import { BLOCK_SIZE, treeOfBytes } from '../../../app/src/transfer/block-tree.ts';
import { useTempFolders } from './temp-folders.ts';

const LAUNCHER = fileURLToPath(new URL('../../../app/cli/bin/ferry.js', import.meta.url));

/** Runs `ferry` as a person would, in `cwd`, with `input` on its standard input. */
function ferry(cwd: string, argv: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [LAUNCHER, ...argv], { cwd }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const rootOf = async (bytes: Uint8Array) => hex((await treeOfBytes(nodeDigest, bytes)).root);
/** SHA-256 of nothing: the root of an empty file's tree. */
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('ferry hash', () => {
  const tempFolder = useTempFolders('ferry-hash-');

  it('prints each file’s root in full hex, two spaces and the name as given, and exits 0', async () => {
    const folder = await tempFolder();
    const big = Uint8Array.from({ length: 2 * BLOCK_SIZE + 5 }, (_, i) => i % 253);
    await mkdir(join(folder, 'photos'));
    await writeFile(join(folder, 'photos', 'big.bin'), big);
    await writeFile(join(folder, 'empty'), '');
    const result = await ferry(folder, ['hash', 'photos/big.bin', 'empty']);
    expect(result).toEqual({ code: EXIT.ok, stdout: `${await rootOf(big)}  photos/big.bin\n${EMPTY_ROOT}  empty\n`, stderr: '' });
  }, 20_000);

  it('reads standard input for -', async () => {
    const result = await ferry(await tempFolder(), ['hash', '-'], 'abc');
    // 'abc' worked out apart, with Python's hashlib: SHA-256(0x00 ‖ SHA-256('abc')).
    expect(result).toEqual({ code: EXIT.ok, stdout: '8a7deab2cc5ee003b6394337538a52b3198f1a6ddeb10c7daf62fe1c9834b43b  -\n', stderr: '' });
  }, 20_000);

  it('names a missing file and a folder on stderr, hashes the rest, and exits 1', async () => {
    const folder = await tempFolder();
    await writeFile(join(folder, 'here.txt'), 'abc');
    await mkdir(join(folder, 'photos'));
    const result = await ferry(folder, ['hash', 'gone.txt', 'here.txt', 'photos']);
    expect(result).toEqual({
      code: EXIT.failed,
      stdout: '8a7deab2cc5ee003b6394337538a52b3198f1a6ddeb10c7daf62fe1c9834b43b  here.txt\n',
      stderr: 'ferry: gone.txt: no such file\nferry: photos: is a folder: name the files in it to hash them\n',
    });
  }, 20_000);

  it('stops quietly with 141 once its output is no longer read, as sha256sum | head does', async () => {
    const folder = await tempFolder();
    await writeFile(join(folder, 'a'), 'x');
    const child = spawn(process.execPath, [LAUNCHER, 'hash', 'a', 'a', 'a'], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before ferry has even loaded, so its first line meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const [code] = (await once(child, 'close')) as [number | null];
    expect({ code, stderr }).toEqual({ code: EXIT.outputClosed, stderr: '' });
  }, 20_000);

  it('needs a file: says so with the usage and exits 2', async () => {
    const { code, stdout, stderr } = await ferry(await tempFolder(), ['hash']);
    expect({ code, stdout }).toEqual({ code: EXIT.usage, stdout: '' });
    expect(stderr).toMatch(/^ferry: hash needs at least one file, or - for standard input\n\nusage: /);
  }, 20_000);
});

describe('hashFiles', () => {
  const tempFolder = useTempFolders('hash-files-');

  it('reports an unreadable file by the file system’s code and goes on', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdin: (async function* () {})(), stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) } };
    const folder = await tempFolder();
    await writeFile(join(folder, 'a'), 'x');
    // A path through a file, as if it were a folder: ENOTDIR, another way of being missing.
    expect(await hashFiles([join(folder, 'a', 'b'), join(folder, 'a')], io)).toBe(EXIT.failed);
    expect(err).toEqual([`ferry: ${join(folder, 'a', 'b')}: no such file\n`]);
    expect(out).toEqual([`${await rootOf(new TextEncoder().encode('x'))}  ${join(folder, 'a')}\n`]);
  });

  it('keeps every file on one line: a name with a line break or backslash is escaped as sha256sum does', async () => {
    expect(shownName('plain name.txt')).toEqual({ name: 'plain name.txt', escaped: false });
    expect(shownName('two\nlines\\and\rmore')).toEqual({ name: 'two\\nlines\\\\and\\rmore', escaped: true });
    const folder = await tempFolder();
    const name = join(folder, 'odd\nname');
    await writeFile(name, '');
    const out: string[] = [];
    const io = { stdin: (async function* () {})(), stdout: { write: (text: string) => out.push(text) }, stderr: { write: () => {} } };
    expect(await hashFiles([name], io)).toBe(EXIT.ok);
    expect(out).toEqual([`\\${EMPTY_ROOT}  ${name.replace('\n', '\\n')}\n`]);
  });
});
