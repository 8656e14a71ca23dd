import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { USAGE } from '../../app/cli/args.ts';
import { EXIT } from '../../app/cli/exit-codes.ts';

const LAUNCHER = fileURLToPath(new URL('../../app/cli/bin/ferry.js', import.meta.url));

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
