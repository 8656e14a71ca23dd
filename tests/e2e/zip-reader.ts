/**
 * Reads a ZIP that stores its files uncompressed (as Ferry's do), from the central
 * directory, so tests can check what a saved archive holds. Small archives only: no
 * ZIP64 records, the whole file in memory.
 */
import { readFile } from 'node:fs/promises';

export interface ZipEntry {
  name: string;
  bytes: Buffer;
}

export async function readZip(file: string): Promise<ZipEntry[]> {
  const zip = await readFile(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a ZIP: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (method !== 0) throw new Error(`${name} is compressed (method ${method})`);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    entries.push({ name, bytes: zip.subarray(data, data + size) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
