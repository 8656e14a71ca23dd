import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import type { FileTrees } from '../../../app/src/transfer/file-trees.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';
import { changedFiles } from '../../../app/src/transfer/pins.ts';
import { coveredBytes } from '../../../app/src/transfer/ranges.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { failureText } from '../../../app/src/ui/i18n/errors.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { memoryStore, type MemoryStore } from '../support/memory-store.ts';
import { damageData, newLinkKeys, randomFile, rootOf, sha256, treesKnowing, wire, type LinkKeys } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;
const SIZE = 4 * MiB;

/** The first session of a transfer of `file`, cut off once a MiB is stored: what it left. */
async function partlyStored(keys: LinkKeys, file: FileSource, trees?: FileTrees): Promise<MemoryStore> {
  const store = memoryStore([file]);
  const first = wire([file], { keys, trees, store, bytesPerTick: 256 * 1024 });
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
async function resume(keys: LinkKeys, files: FileSource[], store: MemoryStore, trees?: FileTrees) {
  const before = { written: store.written, ranges: store.ranges(0) };
  const run = wire(files, { keys, trees, store });
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

  it('another root in the manifest for a file partly stored: stopped before any byte is stored', async () => {
    const keys = newLinkKeys();
    const original = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, original, await treesKnowing(original));
    // Pinned from the first manifest, before its bytes were asked for.
    expect(store.pins[0]).toBe(await rootOf(original.bytes));
    // Same name, size and date; other bytes, and a sender that knows their root.
    const edited = randomFile('movie.mp4', SIZE);
    const { receiver, sender, before } = await resume(keys, [edited], store, await treesKnowing(edited));
    expect(receiver).toMatchObject({ state: 'error', disconnected: false, filesChanged: ['movie.mp4'] });
    expect(store.written).toBe(before.written);
    expect(store.ranges(0)).toEqual(before.ranges);
    expect(store.verified).toEqual([null]);
    expect(sender.sentBytes).toBe(0);
  });

  it('a root message other than the root pinned: stopped before any byte is stored', async () => {
    const keys = newLinkKeys();
    const original = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, original, await treesKnowing(original));
    // A sender that no longer knows the root (its page reloaded, say) announces none,
    // and serves other bytes: the root it sends before the first block shows it.
    const edited = randomFile('movie.mp4', SIZE);
    const { receiver, sender, before, run } = await resume(keys, [edited], store);
    expect(receiver).toMatchObject({ state: 'error', disconnected: false, filesChanged: ['movie.mp4'] });
    expect(receiver.failure).toEqual({ code: 'files-changed', files: ['movie.mp4'] });
    expect(store.verified).toEqual([null]);
    expect(store.pins[0]).toBe(await rootOf(original.bytes));
    expect(store.written).toBe(before.written);
    expect(store.ranges(0)).toEqual(before.ranges);
    expect(run.receiverSnapshots.some((snapshot) => snapshot.outcomes[0] === 'verified')).toBe(false);
    // The edited bytes may be on their way, but none of them was taken.
    expect(run.receiverSnapshots.some((snapshot) => snapshot.progress.bytes > coveredBytes(before.ranges))).toBe(false);
    expect(sender.state).toBe('error');
  });

  it('a root first learned in a root message is held to on resuming: the same files resume where they stopped and verify', async () => {
    const keys = newLinkKeys();
    const file = randomFile('movie.mp4', SIZE);
    // No root in either manifest: the first session pinned the one its root message gave.
    const store = await partlyStored(keys, file);
    expect(store.pins[0]).toBe(await rootOf(file.bytes));
    const stored = coveredBytes(store.ranges(0));
    const { receiver, sender } = await resume(keys, [file], store);
    expect(receiver).toMatchObject({ state: 'done', filesChanged: null, outcomes: ['verified'] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    expect(sender.sentBytes).toBe(SIZE - stored);
  });

  it('the same files and roots: resumes where it stopped and verifies', async () => {
    const keys = newLinkKeys();
    const file = randomFile('movie.mp4', SIZE);
    const store = await partlyStored(keys, file, await treesKnowing(file));
    const stored = coveredBytes(store.ranges(0));
    const { receiver, sender } = await resume(keys, [file], store, await treesKnowing(file));
    expect(receiver).toMatchObject({ state: 'done', filesChanged: null, outcomes: ['verified'] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    expect(store.verified[0]).toBe(await rootOf(file.bytes));
    expect(sender.sentBytes).toBe(SIZE - stored);
  });
});

describe('what the receiver pins', () => {
  /** Records, in order, the store's pins, settles and the first write of each run of writes. */
  function journal(store: MemoryStore): string[] {
    const order: string[] = [];
    const [pin, write, settle] = [store.pin.bind(store), store.write.bind(store), store.settle.bind(store)];
    store.pin = async (roots) => (roots.length > 0 && order.push(`pin ${roots.map((r) => r.file).join(',')}`), pin(roots));
    store.write = async (...args) => (order.at(-1) !== 'write' && order.push('write'), write(...args));
    store.settle = async (file, root) => (order.push(`settle ${file}`), settle(file, root));
    return order;
  }

  it('a root from the manifest, before it asks for any byte', async () => {
    const file = randomFile('a.bin', MiB);
    const store = memoryStore([file]);
    const order = journal(store);
    const run = wire([file], { store, trees: await treesKnowing(file) });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(order).toEqual(['pin 0', 'write', 'settle 0']);
    expect(store.pins[0]).toBe(await rootOf(file.bytes));
  });

  it('a root from a root message, before any block of it is stored', async () => {
    const file = randomFile('a.bin', MiB);
    const store = memoryStore([file]);
    const order = journal(store);
    const run = wire([file], { store });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.receiverSnapshots[0]!.files[0]!.root).toBeUndefined();
    expect(order).toEqual(['pin 0', 'write', 'settle 0']);
    expect(store.pins[0]).toBe(await rootOf(file.bytes));
  });

  it('the root of a file sent whole that verifies: recorded with its batch, not in a disk trip of its own', async () => {
    const files = [randomFile('a.bin', 2000), randomFile('b.bin', 3000)];
    const store = memoryStore(files);
    const order = journal(store);
    const { receiver } = await wire(files, { store }).settled;
    expect(receiver.state).toBe('done');
    expect(order).toEqual(['write', 'settle 0', 'write', 'settle 1']);
    // The verified root is the pin from here on.
    expect(files.map((_, file) => store.pinned(file))).toEqual(await Promise.all(files.map((file) => rootOf(file.bytes))));
  });

  it('the root of a damaged file sent whole, before it is fetched once more against it', async () => {
    const file = randomFile('a.bin', 2000);
    const store = memoryStore([file]);
    const order = journal(store);
    let flipped = false;
    const tamper = (frame: Uint8Array) => {
      if (flipped || frame[0] !== 0x11) return frame;
      flipped = true;
      const copy = frame.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    const { receiver, sender } = await wire([file], { store, tamper }).settled;
    expect(receiver.state).toBe('done');
    expect(order).toEqual(['pin 0', 'write', 'settle 0']);
    expect(store.pins[0]).toBe(await rootOf(file.bytes));
    expect(sender.sentBytes).toBe(2 * file.size);
  });

  it('a root from a root message, and a damaged block is fetched once more against it', async () => {
    const file = randomFile('a.bin', 300_000);
    const run = wire([file], { tamper: damageData(0).tamper });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.store().pins[0]).toBe(await rootOf(file.bytes));
    // The first block again, alone.
    expect(sender.sentBytes).toBe(file.size + BLOCK_SIZE);
  });
});

describe('changedFiles', () => {
  const file = (name: string, size = 10, lastModified = 1, root?: string): FileDescription => ({
    name,
    size,
    type: '',
    lastModified,
    ...(root && { root }),
  });
  const began = [file('a'), file('b')];
  const pinned = (roots: (string | null)[] = [null, null]) => ({ files: began, pinned: (index: number) => roots[index] ?? null });

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

  it('a root other than the pinned one; none, or the same, is no change', () => {
    const roots = ['1'.repeat(64), null];
    expect(changedFiles(pinned(roots), [file('a', 10, 1, '2'.repeat(64)), file('b')])).toEqual(['a']);
    expect(changedFiles(pinned(roots), [file('a', 10, 1, '1'.repeat(64)), file('b', 10, 1, '3'.repeat(64))])).toEqual([]);
    expect(changedFiles(pinned(roots), began)).toEqual([]);
  });
});
