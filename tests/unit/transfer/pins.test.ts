import { describe, expect, it } from 'vitest';
import { FileHashes } from '../../../app/src/transfer/file-hashes.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';
import { changedFiles } from '../../../app/src/transfer/pins.ts';
import { coveredBytes } from '../../../app/src/transfer/ranges.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { failureText } from '../../../app/src/ui/i18n/errors.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { memoryStore, type MemoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, sha256, wire, type LinkKeys } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;
const SIZE = 4 * MiB;

/** A share's hashes, already knowing those of `files`: its manifest announces them. */
function knownHashes(...files: (FileSource & { bytes: Uint8Array })[]): FileHashes {
  const hashes = new FileHashes();
  for (const file of files) hashes.remember(file, sha256(file.bytes));
  return hashes;
}

/** The first session of a transfer of `file`, cut off once a MiB is stored: what it left. */
async function partlyStored(keys: LinkKeys, file: FileSource, hashes?: FileHashes): Promise<MemoryStore> {
  const store = memoryStore([file]);
  const first = wire([file], { keys, hashes, store, bytesPerTick: 256 * 1024 });
  const write = store.write.bind(store);
  store.write = async (...args) => {
    await write(...args);
    if (store.written >= MiB) first.receiverChannel.drop();
  };
  const { receiver } = await first.settled;
  expect(receiver).toMatchObject({ state: 'error', disconnected: true });
  const stored = coveredBytes(store.ranges(0));
  expect(stored).toBeGreaterThan(0);
  expect(stored).toBeLessThan(file.size);
  return store;
}

/** A later session against `store`, with what it holds now, for comparison after. */
async function resume(keys: LinkKeys, files: FileSource[], store: MemoryStore, hashes?: FileHashes) {
  const before = { written: store.written, ranges: store.ranges(0) };
  const run = wire(files, { keys, hashes, store });
  return { ...(await run.settled), before, run };
}

describe('a resumed transfer whose sender now offers something else', () => {
  it('other files: stopped before any byte is stored, with the question for the person', async () => {
    const keys = newLinkKeys();
    const store = await partlyStored(keys, randomFile('report.pdf', SIZE));
    const { receiver, sender, before } = await resume(keys, [randomFile('report.pdf', SIZE + 1)], store);
    expect(receiver.state).toBe('error');
    expect(receiver.filesChanged).toEqual(['report.pdf']);
    // Not a dropped connection: dialling again would only meet the same files.
    expect(receiver.disconnected).toBe(false);
    expect(receiver.files).toEqual([]);
    expect(store.written).toBe(before.written);
    expect(store.ranges(0)).toEqual(before.ranges);
    expect(sender.sentBytes).toBe(0);
    expect(sender.error).toMatch(/^The receiver stopped the transfer: the files changed since this download began/);
    expect(receiver.failure).toEqual({ code: 'files-changed', files: ['report.pdf'] });
    expect(failureText(receiver.failure!)(ru)).toBe(ru.errors.filesChanged);
  });

  it('another SHA-256 in the manifest for a file partly stored: stopped before any byte is stored', async () => {
    const keys = newLinkKeys();
    const original = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, original, knownHashes(original));
    // Pinned from the first manifest, before its bytes were asked for.
    expect(store.pins[0]).toBe(sha256(original.bytes));
    // Same name, size and date; other bytes, and a sender that knows their hash.
    const edited = randomFile('movie.mp4', SIZE);
    const { receiver, sender, before } = await resume(keys, [edited], store, knownHashes(edited));
    expect(receiver).toMatchObject({ state: 'error', disconnected: false, filesChanged: ['movie.mp4'] });
    expect(store.written).toBe(before.written);
    expect(store.ranges(0)).toEqual(before.ranges);
    expect(store.verified).toEqual([null]);
    expect(sender.sentBytes).toBe(0);
  });

  it('a file end with another SHA-256 than the one pinned: stopped, nothing verified, nothing fetched again', async () => {
    const keys = newLinkKeys();
    const original = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, original, knownHashes(original));
    const stored = coveredBytes(store.ranges(0));
    // A sender that no longer knows a hash (its page reloaded, say) announces none, and
    // serves other bytes: only the file's end shows it.
    const edited = randomFile('movie.mp4', SIZE);
    const { receiver, sender, run } = await resume(keys, [edited], store);
    expect(receiver).toMatchObject({ state: 'error', disconnected: false, filesChanged: ['movie.mp4'] });
    expect(store.verified).toEqual([null]);
    expect(store.pins[0]).toBe(sha256(original.bytes));
    expect(run.receiverSnapshots.some((snapshot) => snapshot.outcomes[0] === 'verified')).toBe(false);
    // The rest of the file once, and no second fetch of the whole.
    expect(sender.sentBytes).toBe(SIZE - stored);
  });

  it('the same files and hashes: resumes where it stopped and verifies', async () => {
    const keys = newLinkKeys();
    const file = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, file, knownHashes(file));
    const stored = coveredBytes(store.ranges(0));
    const { receiver, sender } = await resume(keys, [file], store, knownHashes(file));
    expect(receiver).toMatchObject({ state: 'done', filesChanged: null, outcomes: ['verified'] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    expect(sender.sentBytes).toBe(SIZE - stored);
  });
});

describe('what the receiver pins', () => {
  it('a hash from the manifest, before it asks for any byte', async () => {
    const file = randomFile('a.bin', MiB);
    const store = memoryStore([file]);
    const order: string[] = [];
    const [pin, write] = [store.pin.bind(store), store.write.bind(store)];
    store.pin = async (hashes) => (order.push(`pin ${hashes.length}`), pin(hashes));
    store.write = async (...args) => (order.at(-1) !== 'write' && order.push('write'), write(...args));
    const { receiver } = await wire([file], { store, hashes: knownHashes(file) }).settled;
    expect(receiver.state).toBe('done');
    expect(order).toEqual(['pin 1', 'write']);
  });

  it('a hash first heard at the file’s end of a file that verifies: recorded with its batch, not in a disk trip of its own', async () => {
    const files = [randomFile('a.bin', 2000), randomFile('b.bin', 3000)];
    const store = memoryStore(files);
    const order: string[] = [];
    const [pin, settle] = [store.pin.bind(store), store.settle.bind(store)];
    store.pin = async (hashes) => (hashes.length > 0 && order.push(`pin ${hashes.length}`), pin(hashes));
    store.settle = async (file, hash) => (order.push(`settle ${file} ${hash === null ? 'failed' : 'verified'}`), settle(file, hash));
    const { receiver } = await wire(files, { store }).settled;
    expect(receiver.state).toBe('done');
    expect(order).toEqual(['settle 0 verified', 'settle 1 verified']);
    // The verified hash is the pin from here on.
    expect(files.map((_, file) => store.pinned(file))).toEqual(files.map((file) => sha256(file.bytes)));
  });

  it('a hash first heard at the file’s end, and a damaged file is fetched once more against it', async () => {
    const file = randomFile('a.bin', 300_000);
    let flipped = false;
    const tamper = (frame: Uint8Array) => {
      if (flipped || frame[0] !== 0x10) return frame;
      flipped = true;
      const copy = frame.slice();
      copy[100]! ^= 0xff;
      return copy;
    };
    const run = wire([file], { tamper });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.store().pins[0]).toBe(sha256(file.bytes));
    expect(sender.sentBytes).toBe(2 * file.size);
  });
});

describe('changedFiles', () => {
  const file = (name: string, size = 10, lastModified = 1, sha256?: string): FileDescription => ({
    name,
    size,
    type: '',
    lastModified,
    ...(sha256 && { sha256 }),
  });
  const began = [file('a'), file('b')];
  const pinned = (hashes: (string | null)[] = [null, null]) => ({ files: began, pinned: (index: number) => hashes[index] ?? null });

  it.each([
    ['renamed', [file('a'), file('c')], ['b']],
    ['resized', [file('a', 11), file('b')], ['a']],
    ['re-dated', [file('a'), file('b', 10, 2)], ['b']],
    ['one more', [...began, file('c')], ['c']],
    ['one fewer', [file('a')], ['b']],
    ['none', [], ['a', 'b']],
  ])('%s', (_, offered, changed) => {
    expect(changedFiles(pinned(), offered)).toEqual(changed);
  });

  it('a hash other than the pinned one; none, or the same, is no change', () => {
    const hashes = ['1'.repeat(64), null];
    expect(changedFiles(pinned(hashes), [file('a', 10, 1, '2'.repeat(64)), file('b')])).toEqual(['a']);
    expect(changedFiles(pinned(hashes), [file('a', 10, 1, '1'.repeat(64)), file('b', 10, 1, '3'.repeat(64))])).toEqual([]);
    expect(changedFiles(pinned(hashes), began)).toEqual([]);
  });
});
