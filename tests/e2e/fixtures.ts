/** Files on disk for browser tests and the benchmark: random, hashed as they are written. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MiB = 1024 * 1024;

export interface Fixture {
  path: string;
  size: number;
  sha256: string;
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A file of random bytes, written in blocks so even large fixtures cost little memory. */
export async function randomFixture(dir: string, name: string, size: number): Promise<Fixture> {
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  if (size === 0) {
    await writeFile(file, '');
  } else {
    const handle = await open(file, 'w');
    for (let written = 0; written < size; ) {
      const block = randomBytes(Math.min(8 * MiB, size - written));
      hash.update(block);
      await handle.write(block);
      written += block.length;
    }
    await handle.close();
  }
  return { path: file, size, sha256: size === 0 ? createHash('sha256').digest('hex') : hash.digest('hex') };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

