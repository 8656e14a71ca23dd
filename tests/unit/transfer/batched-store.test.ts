import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchedStore, COMMIT_BYTES, type Batch, type StoreBackend, type StoredState } from '../../../app/src/transfer/batched-store.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';
import type { Pin } from '../../../app/src/transfer/store.ts';

/** Block-tree roots (block-tree.ts), as the session settles and pins files with them. */
const ROOT_A = 'a'.repeat(64);
const ROOT_B = 'b'.repeat(64);

/** What the backend's `failure` makes of an error: the store must report this, never the raw error. */
class Reported extends Error {
  override name = 'Reported';
}

interface Held<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function held<T = void>(): Held<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** A commit the backend was asked for, held until the test lets it end. */
interface HeldCommit extends Held<void> {
  batch: Batch;
}

/**
 * A backend whose every commit is held until the test ends it, and which records
 * everything it is asked to do, in order.
 */
class FakeBackend implements StoreBackend {
  readonly commits: HeldCommit[] = [];
  readonly calls: string[] = [];
  pinFails: unknown = null;
  #waiting: ((commit: HeldCommit) => void)[] = [];

  commit(batch: Batch): Promise<void> {
    // Copied now: the batch is the store's, and its ranges must be what the store sent.
    const commit = { ...held(), batch: { ...batch, pieces: [...batch.pieces], verified: [...batch.verified] } };
    this.commits.push(commit);
    this.calls.push(`commit ${this.commits.length}`);
    this.#waiting.shift()?.(commit);
    return commit.promise;
  }

  /** The next commit asked for: one already asked for and not yet taken, or the next to come. */
  nextCommit(taken: number): Promise<HeldCommit> {
    const ready = this.commits[taken];
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.#waiting.push(resolve));
  }

  async pin(pins: readonly Pin[]): Promise<void> {
    this.calls.push(`pin ${pins.map((pin) => pin.file).join(',')}`);
    if (this.pinFails) throw this.pinFails;
  }

  failure(error: unknown): Error {
    return new Reported('reported', { cause: error });
  }
}

function files(...sizes: number[]): FileDescription[] {
  return sizes.map((size, index) => ({ name: `f${index}`, size, type: '', lastModified: 0 }));
}

function emptyState(count: number): StoredState {
  return { ranges: Array.from({ length: count }, () => []), verified: Array(count).fill(null), pins: Array(count).fill(null) };
}

function open(sizes: number[], lingerMs: number | null = null, state = emptyState(sizes.length)) {
  const backend = new FakeBackend();
  return { backend, store: new BatchedStore(files(...sizes), state, backend, lingerMs) };
}

/** Whether `promise` has settled by the time everything already queued has run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

const bytes = (length: number) => new Uint8Array(length);

/** Fake timeouts only: isSettled needs the real setImmediate. */
function useFakeTimeouts(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('batching', () => {
  it('gathers writes below COMMIT_BYTES, commits them as one batch on flush, and counts them stored only once committed', async () => {
    const { backend, store } = open([100]);
    await store.write(0, 0, bytes(10));
    await store.write(0, 10, bytes(20));
    expect(backend.commits).toHaveLength(0);
    const flushed = store.flush();
    const commit = await backend.nextCommit(0);
    expect(commit.batch.pieces.map((piece) => [piece.offset, piece.bytes.length])).toEqual([
      [0, 10],
      [10, 20],
    ]);
    expect(commit.batch.ranges.get(0)).toEqual({ before: [], after: [[0, 30]] });
    expect(store.ranges(0)).toEqual([]);
    expect(await isSettled(flushed)).toBe(false);
    commit.resolve();
    await flushed;
    expect(store.ranges(0)).toEqual([[0, 30]]);
  });

  it('sends a batch once COMMIT_BYTES have gathered, without waiting for a flush', async () => {
    const { backend, store } = open([COMMIT_BYTES + 1]);
    await store.write(0, 0, bytes(COMMIT_BYTES - 1));
    expect(backend.commits).toHaveLength(0);
    await store.write(0, COMMIT_BYTES - 1, bytes(1));
    expect((await backend.nextCommit(0)).batch.ranges.get(0)?.after).toEqual([[0, COMMIT_BYTES]]);
  });

  it('commits what has gathered once the first of it has waited lingerMs, and never on a timer without it', async () => {
    useFakeTimeouts();
    const lingering = open([100], 1000);
    await lingering.store.write(0, 0, bytes(10));
    await vi.advanceTimersByTimeAsync(999);
    expect(lingering.backend.commits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await lingering.backend.nextCommit(0)).batch.ranges.get(0)?.after).toEqual([[0, 10]]);

    const waiting = open([100]);
    await waiting.store.write(0, 0, bytes(10));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(waiting.backend.commits).toHaveLength(0);
  });

  it('starts each batch only after the one before is committed, and holds the write that fills the next batch until then', async () => {
    const { backend, store } = open([3 * COMMIT_BYTES]);
    await store.write(0, 0, bytes(COMMIT_BYTES));
    const first = await backend.nextCommit(0);
    const filling = store.write(0, COMMIT_BYTES, bytes(COMMIT_BYTES));
    expect(await isSettled(filling)).toBe(false);
    expect(backend.commits).toHaveLength(1);
    first.resolve();
    await filling;
    const second = await backend.nextCommit(1);
    // The second batch begins where the first, now stored, ends.
    expect(second.batch.ranges.get(0)).toEqual({ before: [[0, COMMIT_BYTES]], after: [[0, 2 * COMMIT_BYTES]] });
    second.resolve();
    await store.flush();
    expect(backend.calls).toEqual(['commit 1', 'commit 2']);
    expect(store.ranges(0)).toEqual([[0, 2 * COMMIT_BYTES]]);
  });

  it('sends a verified mark with the batch after the bytes it vouches for, never before them', async () => {
    const { backend, store } = open([COMMIT_BYTES, 5]);
    await store.write(0, 0, bytes(COMMIT_BYTES));
    const bytesBatch = await backend.nextCommit(0);
    await store.settle(0, ROOT_A);
    expect(store.isVerified(0)).toBe(true);
    expect(bytesBatch.batch.verified).toEqual([]);
    const flushed = store.flush();
    expect(backend.commits).toHaveLength(1);
    bytesBatch.resolve();
    const markBatch = await backend.nextCommit(1);
    expect(markBatch.batch.verified).toEqual([{ file: 0, root: ROOT_A }]);
    expect(markBatch.batch.pieces).toEqual([]);
    markBatch.resolve();
    await flushed;
  });

  it('records every file a batch touches, each from its own stored ranges', async () => {
    const state = emptyState(2);
    state.ranges[1] = [[0, 4]];
    const { backend, store } = open([10, 10], null, state);
    await store.write(1, 6, bytes(4));
    await store.write(0, 0, bytes(2));
    await store.write(1, 4, bytes(2));
    const flushed = store.flush();
    const { batch, resolve } = await backend.nextCommit(0);
    expect([...batch.ranges]).toEqual([
      [1, { before: [[0, 4]], after: [[0, 10]] }],
      [0, { before: [], after: [[0, 2]] }],
    ]);
    resolve();
    await flushed;
    expect([store.ranges(0), store.ranges(1)]).toEqual([[[0, 2]], [[0, 10]]]);
  });
});

describe('a failed commit', () => {
  it('latches: the next write, settle and flush throw it as the backend reports it, and no later batch is committed', async () => {
    const { backend, store } = open([4 * COMMIT_BYTES]);
    const cause = new Error('disk on fire');
    await store.write(0, 0, bytes(COMMIT_BYTES));
    // A write that fills the next batch waits for the first, and fails with it.
    const filling = store.write(0, COMMIT_BYTES, bytes(COMMIT_BYTES));
    (await backend.nextCommit(0)).reject(cause);
    await expect(filling).rejects.toMatchObject({ name: 'Reported', cause });
    await expect(store.write(0, 2 * COMMIT_BYTES, bytes(1))).rejects.toMatchObject({ name: 'Reported', cause });
    await expect(store.settle(0, ROOT_A)).rejects.toMatchObject({ name: 'Reported', cause });
    await expect(store.flush()).rejects.toMatchObject({ name: 'Reported', cause });
    expect(backend.commits).toHaveLength(1);
    expect(store.ranges(0)).toEqual([]);
    expect(store.isVerified(0)).toBe(false);
  });

  it('in a later batch leaves what the batches before stored counted as stored', async () => {
    const { backend, store } = open([3 * COMMIT_BYTES]);
    await store.write(0, 0, bytes(COMMIT_BYTES));
    const first = await backend.nextCommit(0);
    first.resolve();
    await store.write(0, COMMIT_BYTES, bytes(COMMIT_BYTES));
    const cause = new Error('first');
    (await backend.nextCommit(1)).reject(cause);
    await expect(store.flush()).rejects.toMatchObject({ name: 'Reported', cause });
    expect(store.ranges(0)).toEqual([[0, COMMIT_BYTES]]);
  });
});

describe('settle', () => {
  it('puts the verified mark in the same batch as the last bytes of its file when they have not gone yet, after them', async () => {
    const { backend, store } = open([10, 10]);
    await store.write(0, 0, bytes(10));
    await store.settle(0, ROOT_A);
    await store.write(1, 0, bytes(4));
    expect(backend.commits).toHaveLength(0);
    const flushed = store.flush();
    const { batch, resolve } = await backend.nextCommit(0);
    expect(batch.pieces.map((piece) => [piece.file, piece.offset, piece.bytes.length])).toEqual([
      [0, 0, 10],
      [1, 0, 4],
    ]);
    expect(batch.verified).toEqual([{ file: 0, root: ROOT_A }]);
    resolve();
    await flushed;
    expect(backend.commits).toHaveLength(1);
    expect([store.isVerified(0), store.isVerified(1)]).toEqual([true, false]);
  });

  it('commits a verified mark alone once it has waited lingerMs', async () => {
    useFakeTimeouts();
    const state = emptyState(1);
    state.ranges[0] = [[0, 10]];
    const { backend, store } = open([10], 1000, state);
    await store.settle(0, ROOT_A);
    await vi.advanceTimersByTimeAsync(999);
    expect(backend.commits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const { batch } = await backend.nextCommit(0);
    expect([batch.pieces, batch.verified]).toEqual([[], [{ file: 0, root: ROOT_A }]]);
  });
});

describe('pins', () => {
  it('are recorded at once and on their own, and a file without one is pinned to the root it was verified with', async () => {
    const { backend, store } = open([10, 10]);
    await store.pin([{ file: 1, root: ROOT_B }]);
    expect(backend.calls).toEqual(['pin 1']);
    expect(store.pinned(1)).toBe(ROOT_B);
    expect(store.pinned(0)).toBeNull();
    await store.settle(0, ROOT_A);
    expect(store.pinned(0)).toBe(ROOT_A);
    await store.pin([]);
    expect(backend.calls).toEqual(['pin 1']);
  });

  it('that cannot be recorded are reported as the backend words it, and not taken', async () => {
    const { backend, store } = open([10]);
    backend.pinFails = new Error('quota');
    await expect(store.pin([{ file: 0, root: ROOT_A }])).rejects.toMatchObject({ name: 'Reported', cause: backend.pinFails });
    expect(store.pinned(0)).toBeNull();
  });
});

describe('what the store opens with', () => {
  it('is what it reports, until a commit changes it', () => {
    const state: StoredState = { ranges: [[[0, 3]], []], verified: [null, ROOT_A], pins: [ROOT_B, null] };
    const { store } = open([10, 0], null, state);
    expect([store.ranges(0), store.isVerified(0), store.pinned(0)]).toEqual([[[0, 3]], false, ROOT_B]);
    expect([store.ranges(1), store.isVerified(1), store.pinned(1)]).toEqual([[], true, ROOT_A]);
  });
});

describe('dropPending', () => {
  it('drops what has not been sent, and waits for the batch under way', async () => {
    useFakeTimeouts();
    const { backend, store } = open([2 * COMMIT_BYTES], 1000);
    await store.write(0, 0, bytes(COMMIT_BYTES));
    const underWay = await backend.nextCommit(0);
    await store.write(0, COMMIT_BYTES, bytes(10));
    const dropped = store.dropPending();
    expect(await isSettled(dropped)).toBe(false);
    underWay.resolve();
    await dropped;
    await vi.advanceTimersByTimeAsync(1000);
    await store.flush();
    expect(backend.commits).toHaveLength(1);
  });
});
