/** Files on disk for browser tests and the benchmark: random, hashed as they are written. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

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


/**
 * A real PNG of `width`×`height` (a colour gradient), for what only a decodable image
 * shows: thumbnails. Written by hand with zlib, so no image library is needed.
 */
export async function imageFixture(dir: string, name: string, width: number, height: number): Promise<Fixture> {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], row + 1 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per sample, RGB, deflate, no filter method, no interlace
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  const file = path.join(dir, name);
  await writeFile(file, png);
  return { path: file, size: png.length, sha256: createHash('sha256').update(png).digest('hex') };
}
