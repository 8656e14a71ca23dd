/**
 * Reading verified files back out of storage (what the service worker streams as a
 * download or a ZIP), over IndexedDB chunks, against fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisifyRequest, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { chunkKeys, hashKey, received, transferRecords } from '../../../app/src/storage/layout.ts';
import { NotStoredError } from '../../../app/src/storage/stored-bytes.ts';
import { findTransferById, verifiedFile, verifiedFiles } from '../../../app/src/storage/stored-file.ts';
import type { TransferRecord } from '../../../app/src/session/transfer-record.ts';
import { zipOf } from '../../../app/src/storage/zip.ts';
import { readZip } from '../../e2e/zip-reader.ts';

const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** A transfer stored as IndexedDB chunks (what a browser without OPFS keeps). */
async function storeTransfer(
  id: string,
  files: { name: string; bytes: Uint8Array; chunk: number; verified?: boolean; inline?: boolean }[],
): Promise<TransferRecord> {
  const record: TransferRecord = {
    id,
    address: { peerId: `sender${id}`, secret: 'secret', senderKey: 'key' },
    files: files.map(({ name, bytes }) => ({ name, size: bytes.length, type: 'application/octet-stream', lastModified: Date.UTC(2026, 0, 2) })),
    stored: 0,
    done: true,
    saved: false,
    total: 0,
    createdAt: 0,
    updatedAt: 0,
  };
  await set(`${record.address.peerId}/secret/key`, record, transferRecords());
  await received()('readwrite', (store) => {
    for (const [index, { bytes, chunk, verified = true, inline = false }] of files.entries()) {
      for (let at = 0; at < bytes.length; at += chunk) {
        const piece = bytes.slice(at, at + chunk);
        store.put(inline ? piece : new Blob([piece]), [id, index, at]);
      }
      if (verified) store.put('0'.repeat(64), hashKey(id, index));
    }
    return promisifyRequest(store.transaction);
  });
  return record;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('stored files', () => {
  it('stream a verified file chunk by chunk, exactly', async () => {
    const bytes = bytesOf(600_000 + 17, 1);
    const record = await storeTransfer('t1', [{ name: 'a.bin', bytes, chunk: 65_523 }]);
    expect((await findTransferById('t1'))?.id).toBe('t1');
    const file = await verifiedFile(record, 0);
    expect(Buffer.compare(await readAll(await file.open()), bytes)).toBe(0);
  });

  it('stream a file kept inline, as small files are, and one mixing both kinds of chunk', async () => {
    const small = bytesOf(1024, 3);
    const record = await storeTransfer('t-inline', [{ name: 'small.txt', bytes: small, chunk: 65_536, inline: true }]);
    expect(Buffer.compare(await readAll(await (await verifiedFile(record, 0)).open()), small)).toBe(0);
    const mixed = bytesOf(3000, 4);
    const both = await storeTransfer('t-mixed', [{ name: 'mixed.bin', bytes: mixed, chunk: 1000, inline: true }]);
    await received()('readwrite', (store) => {
      store.put(new Blob([mixed.slice(1000, 2000)]), [both.id, 0, 1000]);
      return promisifyRequest(store.transaction);
    });
    expect(Buffer.compare(await readAll(await (await verifiedFile(both, 0)).open()), mixed)).toBe(0);
  });

  it('stream an empty file', async () => {
    const record = await storeTransfer('t2', [{ name: 'empty', bytes: new Uint8Array(0), chunk: 1 }]);
    expect((await readAll(await (await verifiedFile(record, 0)).open())).length).toBe(0);
  });

  it('refuse a file that was not verified, and a file that is not there', async () => {
    const record = await storeTransfer('t3', [{ name: 'half.bin', bytes: bytesOf(1000, 2), chunk: 100, verified: false }]);
    await expect(verifiedFile(record, 0)).rejects.toThrow(NotStoredError);
    await expect(verifiedFiles(record)).rejects.toThrow(/not been received and verified/);
    await expect(verifiedFile(record, 5)).rejects.toThrow(NotStoredError);
  });

  it('fail loudly on a gap in the stored chunks, before the first byte, rather than serve a short file', async () => {
    const record = await storeTransfer('t4', [{ name: 'gap.bin', bytes: bytesOf(1000, 3), chunk: 100 }]);
    await received()('readwrite', (store) => {
      store.delete(chunkKeys('t4', 0, 300).lower);
      return promisifyRequest(store.transaction);
    });
    await expect((await verifiedFile(record, 0)).open()).rejects.toThrow(/gap/);
  });

  it('fail loudly when the end of a file is missing', async () => {
    const record = await storeTransfer('t5', [{ name: 'short.bin', bytes: bytesOf(1000, 4), chunk: 100 }]);
    await received()('readwrite', (store) => {
      store.delete(chunkKeys('t5', 0, 900));
      return promisifyRequest(store.transaction);
    });
    await expect((await verifiedFile(record, 0)).open()).rejects.toThrow(/missing/);
  });
});

describe('a ZIP of stored files', () => {
  it('holds every file under its safe path, and is exactly as long as announced', async () => {
    const contents = [bytesOf(300_000, 5), bytesOf(0, 6), bytesOf(12_345, 7)];
    const record = await storeTransfer('z1', [
      { name: 'Trip/day 1/photo.jpg', bytes: contents[0]!, chunk: 65_536 },
      { name: 'Trip/empty.txt', bytes: contents[1]!, chunk: 1 },
      { name: 'Trip/../../notes.txt', bytes: contents[2]!, chunk: 4096 },
    ]);
    const zip = zipOf(await verifiedFiles(record));
    expect(zip.name).toBe('Trip.zip');
    const archive = await readAll(zip.stream);
    expect(archive.length).toBe(zip.length);
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-zip-')), 'out.zip');
    await writeFile(file, archive);
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect((await readZip(file)).map(({ name, bytes }) => [name, sha(bytes)])).toEqual([
      ['Trip/day 1/photo.jpg', sha(contents[0]!)],
      ['Trip/empty.txt', sha(contents[1]!)],
      ['Trip/notes.txt', sha(contents[2]!)],
    ]);
  });

  it('gives entries that would land at one place on unpacking names of their own', async () => {
    const names = ['Photos/a.jpg', 'photos\\A.JPG', 'Photos/a?.jpg', 'Photos', 'x.txt'];
    const record = await storeTransfer('z2', names.map((name, at) => ({ name, bytes: bytesOf(10 + at, at), chunk: 4096 })));
    const zip = zipOf(await verifiedFiles(record));
    const archive = await readAll(zip.stream);
    expect(archive.length).toBe(zip.length);
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-zip-')), 'out.zip');
    await writeFile(file, archive);
    expect((await readZip(file)).map(({ name }) => name)).toEqual(['Photos/a.jpg', 'Photos/A (1).JPG', 'Photos/a (2).jpg', 'Photos (1)', 'x.txt']);
  });

  it('announces ZIP64 lengths for files past 4 GiB without reading them', () => {
    const size = 2 ** 32 + 1;
    const open = () => Promise.reject(new Error('not read'));
    const file = { name: 'big.mkv', size, type: '', lastModified: 0, open };
    const small = zipOf([{ ...file, size: 1 }]);
    const big = zipOf([file]);
    // The same entry, plus at least the ZIP64 end-of-central-directory record and
    // its locator (56 + 20 bytes), which a 32-bit ZIP does not have.
    expect(big.length - size - (small.length - 1)).toBeGreaterThanOrEqual(76);
  });
});
