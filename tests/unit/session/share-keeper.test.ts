/**
 * A share kept over a record store in memory and a broker of our own (support/fake-broker.ts),
 * with real receivers at the far end. A reload is a second keeper over the same
 * records; time moves only when a test says so, and a laptop can sleep through it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiverRow } from '../../../app/src/session/receiver-rows.ts';
import {
  HASH_SAVE_DELAY_MS,
  LIFE_CHECK_MS,
  ShareKeeper,
  type NewShareGate,
  type ShareRecords,
  type ShareState,
} from '../../../app/src/session/share-keeper.ts';
import type { ShareRecord } from '../../../app/src/session/share-record.ts';
import { passwordKey } from '../../../app/src/transfer/auth.ts';
import { shareLink } from '../../../app/src/transfer/link.ts';
import { PASSWORD_LIMITS } from '../../../app/src/transfer/password-guard.ts';
import { DEFAULT_WINDOW } from '../../../app/src/transfer/receiver.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { FakeBroker, FakeConnection, receive, tick, Waiters } from '../support/fake-broker.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { memoryFile, randomFile, rootOf, sha256 } from '../support/transfer-harness.ts';

const ORIGIN = 'https://ferry.test';
const OPEN: NewShareGate = { password: '', askFirst: false };
const HOUR_MS = 60 * 60_000;

/** Records kept as IndexedDB keeps them: a copy of what each save was given, never the object itself. */
class MemoryRecords implements ShareRecords {
  saved: ShareRecord | undefined;
  /** The keeper's own record, as last loaded or given to save: what it has learned since, not yet saved. */
  live: ShareRecord | undefined;
  saves = 0;
  /** Hears of each save as it begins. */
  onsave = () => {};

  async load(): Promise<ShareRecord | undefined> {
    this.live = this.saved && structuredClone(this.saved);
    return this.live;
  }

  async save(record: ShareRecord): Promise<void> {
    this.onsave();
    this.saves += 1;
    this.live = record;
    this.saved = structuredClone(record);
  }

  async delete(): Promise<void> {
    this.saved = undefined;
  }
}

interface Kept {
  keeper: ShareKeeper;
  broker: FakeBroker;
  records: MemoryRecords;
  clock: ManualClock;
  finished: ReceiverRow[];
  /** Resolves with the keeper's state once `predicate` holds for it. */
  until(predicate: (state: ShareState) => boolean): Promise<ShareState>;
}

let keepers: ShareKeeper[] = [];

afterEach(() => {
  for (const keeper of keepers) keeper.close();
  keepers = [];
});

/** A page keeping its share in `records`; a second one over the same records is the page reloaded. */
function keeping(records = new MemoryRecords(), clock = new ManualClock(), broker = new FakeBroker()): Kept {
  const changes = new Waiters<ShareState>();
  let tokens = 0;
  const finished: ReceiverRow[] = [];
  const keeper = new ShareKeeper({
    records,
    broker,
    newBrokerToken: () => `token-${++tokens}`,
    origin: ORIGIN,
    clock,
    onchange: (state) => changes.show(state),
    onfinished: (row) => finished.push(row),
  });
  keepers.push(keeper);
  return {
    keeper,
    broker,
    records,
    clock,
    finished,
    until: (predicate) => (predicate(keeper.state) ? Promise.resolve(keeper.state) : changes.until(predicate)),
  };
}

/**
 * The page before a reload, sharing `files`, and the same page after it, not yet given
 * any. `hashed`: the files' roots were learned (and saved) before the reload.
 */
async function reloaded(files: (FileSource & { bytes: Uint8Array })[], { hashed = false } = {}): Promise<Kept> {
  const before = keeping();
  await before.keeper.start(files, OPEN);
  before.keeper.close();
  if (hashed) before.records.saved!.roots = await rootsOf(files);
  const after = keeping(before.records, before.clock);
  await after.keeper.restore();
  return after;
}

function rootsOf(files: (FileSource & { bytes: Uint8Array })[]): Promise<string[]> {
  return Promise.all(files.map((file) => rootOf(file.bytes)));
}

/** What the record keeps of a file. */
const descriptionOf = ({ name, size, type, lastModified }: FileSource) => ({ name, size, type, lastModified });

/** A receiver at the far end of a new connection to the share `records` keeps. */
function receiver(broker: FakeBroker, records: MemoryRecords, download = true) {
  return receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!, { download });
}

describe('a new share', () => {
  it('is saved before it registers, then goes online under its link', async () => {
    const file = randomFile('photo.jpg', 1024);
    const { keeper, broker, records } = keeping();
    const registeredAtSave: number[] = [];
    records.onsave = () => registeredAtSave.push(broker.attempts);

    await keeper.start([file], OPEN);
    expect(registeredAtSave[0]).toBe(0);
    expect(broker.attempts).toBe(1);
    const record = records.saved!;
    expect(record.files).toEqual([descriptionOf(file)]);
    expect(keeper.state).toMatchObject({ status: 'online', link: shareLink(ORIGIN, record), files: [file], missing: [], error: null });
  });

  it('keeps the key of its password, never the password, and "ask me first", with its record', async () => {
    const { keeper, records } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], { password: 'correct horse', askFirst: true });
    const record = records.saved!;
    expect(record.gate).toMatchObject({ passwordKey: passwordKey(record.secret, 'correct horse'), askFirst: true });
    expect(JSON.stringify(record)).not.toContain('correct horse');
    expect(keeper.state).toMatchObject({ locked: true, askFirst: true });
  });

  it('that the broker will not register says so, as a broker error with its cause', async () => {
    const { keeper } = keeping(undefined, undefined, new FakeBroker({ refusals: [{ code: 'server-lost' }] }));
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    expect(keeper.state).toMatchObject({ status: 'error', link: null, error: { kind: 'broker', failure: { code: 'server-lost' } } });
  });

  it('that could not register tries again under the same link when told the server is back', async () => {
    const { keeper, broker, records, until } = keeping(undefined, undefined, new FakeBroker({ refusals: [{ code: 'server-lost' }] }));
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    const record = records.saved!;
    keeper.reconnectNow();
    await until((state) => state.status === 'online' && state.link !== null);
    expect(broker.attempts).toBe(2);
    expect(records.saved).toBe(record);
    expect(keeper.state).toMatchObject({ error: null, link: shareLink(ORIGIN, record) });
  });
});

describe('after a reload', () => {
  it('asks for the files again, listing them as missing, under the same link, before it registers', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const { keeper, broker, records } = await reloaded(files);
    expect(keeper.state).toMatchObject({
      status: 'needs-files',
      files: [],
      missing: files.map(descriptionOf),
      link: shareLink(ORIGIN, records.saved!),
    });
    expect(broker.attempts).toBe(0);
  });

  it('takes the same files added again, in any order and checked by root, and goes online', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const { keeper, broker } = await reloaded(files, { hashed: true });

    await keeper.addFilesAgain([files[1]!, files[0]!]);
    expect(keeper.state).toMatchObject({ status: 'online', files, missing: [], error: null });
    expect(broker.attempts).toBe(1);
  });

  it('names a file added again whose bytes changed, asks for it again and does not register', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const { keeper, broker } = await reloaded(files, { hashed: true });

    // Same name, size and date: only the root tells them apart.
    const changed = memoryFile('b.bin', new Uint8Array(2048));
    await keeper.addFilesAgain([files[0]!, changed]);
    expect(keeper.state).toMatchObject({
      status: 'needs-files',
      missing: [descriptionOf(files[1]!)],
      error: { kind: 'changed', file: 'b.bin' },
    });
    expect(broker.attempts).toBe(0);
  });

  it('hashes each file added again once: the check and the share that goes online use one tree', async () => {
    const reads = [{ count: 0 }, { count: 0 }];
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const { keeper, broker, records } = await reloaded(files, { hashed: true });
    const again = files.map((file, index) => memoryFile(file.name, file.bytes, reads[index]));

    await keeper.addFilesAgain(again);
    expect(keeper.state.status).toBe('online');
    // A receiver's list of files carries every root, from the trees the check built.
    const waiting = receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!, { download: false });
    const { files: listed } = await waiting.until((snapshot) => snapshot.state === 'waiting');
    expect(listed.map((file) => file.root)).toEqual(await rootsOf(files));
    // Each file read once, to check it: none read again to hash it for the share.
    expect(reads.map((read) => read.count)).toEqual([1, 1]);
  });

  it('restores a share saved before roots, with whole-file hashes: asks for its files, and learns and saves their roots', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const before = keeping();
    await before.keeper.start(files, OPEN);
    before.keeper.close();
    // As such a share was saved: `hashes`, no `roots`.
    const { roots: _, ...old } = before.records.saved!;
    // Records of its own: the page before the reload, still hashing, saves nothing into them.
    const saved = new MemoryRecords();
    saved.saved = { ...old, hashes: files.map((file) => sha256(file.bytes)) } as unknown as ShareRecord;

    const { keeper, broker, records, clock } = keeping(saved, before.clock);
    await keeper.restore();
    expect(keeper.state).toMatchObject({ status: 'needs-files', missing: files.map(descriptionOf), link: shareLink(ORIGIN, records.saved!) });
    // Its SHA-256s are no roots: nothing to check the files against, so they are taken as they come.
    await keeper.addFilesAgain(files);
    expect(keeper.state).toMatchObject({ status: 'online', files, missing: [], error: null });
    expect(broker.attempts).toBe(1);
    await expect.poll(() => records.live!.roots, { timeout: 10_000 }).toEqual(await rootsOf(files));
    expect(records.saved!.roots).toBeUndefined();
    clock.advance(HASH_SAVE_DELAY_MS);
    expect(records.saved!.roots).toEqual(await rootsOf(files));
  });

  it('says not all were added when one is missing, and does not register', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('b.bin', 2048)];
    const { keeper, broker } = await reloaded(files);
    await keeper.addFilesAgain([files[0]!]);
    expect(keeper.state).toMatchObject({ status: 'needs-files', missing: [descriptionOf(files[1]!)], error: { kind: 'not-all-added' } });
    expect(broker.attempts).toBe(0);
  });
});

describe('the link’s life', () => {
  it('ends when the clock passes the expiry chosen, and the record says so', async () => {
    const { keeper, records, clock } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    keeper.setExpiry('1h');
    const due = keeper.state.expiry!.from + HOUR_MS;

    clock.advance(HOUR_MS - 1);
    expect(keeper.state.ended).toBeNull();
    expect(keeper.state.now).toBeGreaterThan(due - HOUR_MS);
    clock.advance(1);
    expect(keeper.state.ended).toEqual({ reason: 'expired', at: due });
    await tick();
    expect(records.saved!.ended).toEqual({ reason: 'expired', at: due });
  });

  it('ends by the wall clock within LIFE_CHECK_MS of waking, when the machine slept past the expiry', async () => {
    const { keeper, clock } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    keeper.setExpiry('1h');
    const due = keeper.state.expiry!.from + HOUR_MS;

    clock.advance(10 * 60_000);
    clock.sleep(2 * HOUR_MS);
    expect(keeper.state.ended).toBeNull();
    clock.advance(LIFE_CHECK_MS);
    expect(keeper.state.ended).toEqual({ reason: 'expired', at: due });
  });

  it('tells a receiver who comes after the expiry, before the clock was checked, that the link expired', async () => {
    const { keeper, broker, records, clock } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    keeper.setExpiry('1h');
    clock.sleep(2 * HOUR_MS);

    expect(await receiver(broker, records).settled).toMatchObject({ state: 'ended', ended: 'expired' });
    expect(keeper.state.ended?.reason).toBe('expired');
  });

  it('"after the first download" ends it once a receiver has every file, and the next one is told', async () => {
    const { keeper, broker, records, until, finished } = keeping();
    await keeper.start([randomFile('photo.jpg', 64 * 1024)], OPEN);
    keeper.setExpiry('first-download');

    expect((await receiver(broker, records).settled).state).toBe('done');
    const state = await until((state) => state.ended !== null);
    expect(state).toMatchObject({ ended: { reason: 'expired' }, sentTo: 1 });
    expect(finished).toHaveLength(1);
    expect(await receiver(broker, records).settled).toMatchObject({ state: 'ended', ended: 'expired' });
    expect(records.saved).toMatchObject({ ended: { reason: 'expired' }, receivers: [{ done: true }] });
  });

  it('stopped, tells its receivers, and stays ended after a reload, where the page still answers receivers', async () => {
    const { keeper, broker, records, until } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    const waiting = receiver(broker, records, false);
    await until((state) => state.receivers[0]?.snapshot.state === 'waiting');

    keeper.end();
    expect(await waiting.settled).toMatchObject({ state: 'ended', ended: 'stopped' });
    keeper.close();

    const page = keeping(records);
    await page.keeper.restore();
    expect(page.keeper.state).toMatchObject({ ended: { reason: 'stopped' }, files: [], status: 'online' });
    expect(page.broker.attempts).toBe(1);
    expect(await receiver(page.broker, records).settled).toMatchObject({ state: 'ended', ended: 'stopped' });
  });

  it('ended and deleted for other files, tells whoever is connected that sharing stopped, before it closes', async () => {
    const { keeper, broker, records, until } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    const waiting = receiver(broker, records, false);
    await until((state) => state.receivers[0]?.snapshot.state === 'waiting');

    await keeper.endAndDelete();
    expect(await waiting.settled).toMatchObject({ state: 'ended', ended: 'stopped' });
    expect(broker.peer.destroyed).toBe(true);
    // What the ending host still reported did not bring the old share back.
    expect(keeper.state).toMatchObject({ status: 'idle', link: null, receivers: [] });
  });

  it('ended and deleted, the record is gone: nothing is offered, and a reload has nothing to restore', async () => {
    const { keeper, broker, records } = keeping();
    await keeper.start([randomFile('notes.txt', 10)], OPEN);
    expect(await keeper.offering()).toBe(true);

    await keeper.endAndDelete();
    expect(records.saved).toBeUndefined();
    expect(broker.peer.destroyed).toBe(true);
    expect(keeper.state).toMatchObject({ status: 'idle', link: null, files: [] });
    expect(await keeper.offering()).toBe(false);

    const page = keeping(records);
    await page.keeper.restore();
    expect(page.keeper.state.status).toBe('idle');
  });
});

describe('a password added while sharing', () => {
  it('is asked of receivers from then on, but not of one already let in when it reconnects', async () => {
    const { keeper, broker, records, until } = keeping();
    await keeper.start([randomFile('notes.txt', 64 * 1024)], OPEN);
    receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!, { transfer: 'early', download: false });
    await until((state) => state.receivers[0]?.snapshot.state === 'waiting');

    keeper.setPassword('paper boats');
    expect(keeper.state.locked).toBe(true);
    expect(records.saved!.gate?.passwordKey).toBe(passwordKey(records.saved!.secret, 'paper boats'));
    const late = receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!, { transfer: 'late' });
    expect((await late.until((snapshot) => snapshot.state !== 'connecting')).state).toBe('password');

    // The early one comes back on a new connection: straight to its files.
    const again = receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!, { transfer: 'early' });
    expect((await again.settled).state).toBe('done');
  });
});

describe('wrong passwords', () => {
  it('are counted with the record, so a reload grants no new tries: once spent, a try waits for the person', async () => {
    const file = randomFile('notes.txt', 10);
    const before = keeping();
    await before.keeper.start([file], { password: 'paper boats', askFirst: false });
    const guesser = receive(before.broker.peer.offer(new FakeConnection()).opens(), before.records.saved!, { transfer: 'guesser' });
    await guesser.until((snapshot) => snapshot.state === 'password');
    await guesser.session.password('paper planes');
    await guesser.until((snapshot) => snapshot.gate?.triesLeft === PASSWORD_LIMITS.tries - 1);
    await expect.poll(() => before.records.saved!.passwordTries?.left).toBe(PASSWORD_LIMITS.shareTries - 1);
    // The rest spent, as a guesser changing its name each time would.
    before.records.saved!.passwordTries = { left: 0, refilledAt: before.clock.now() };
    before.keeper.close();

    const after = keeping(before.records, before.clock);
    await after.keeper.restore();
    await after.keeper.addFilesAgain([file]);
    const real = receive(after.broker.peer.offer(new FakeConnection()).opens(), after.records.saved!, { transfer: 'real' });
    await real.until((snapshot) => snapshot.state === 'password');
    await real.session.password('paper boats');
    await real.until((snapshot) => snapshot.state === 'approval');
    const [row] = (await after.until((state) => state.receivers[0]?.snapshot.held === true)).receivers;
    after.keeper.decide(row!.id, true);
    expect((await real.settled).state).toBe('done');
  });
});

describe('roots', () => {
  it('are learned in the background from the start, and saved within HASH_SAVE_DELAY_MS, all in one save', async () => {
    const files = [...['a.txt', 'b.txt', 'c.txt'].map((name) => randomFile(name, 1024)), randomFile('large.bin', 2 * DEFAULT_WINDOW)];
    const { keeper, records, clock } = keeping();
    await keeper.start(files, OPEN);
    const saves = records.saves;
    expect(records.saved!.roots).toEqual([null, null, null, null]);

    // No receiver needed: every file is hashed as soon as it is shared.
    await expect.poll(() => records.live!.roots, { timeout: 10_000 }).toEqual(await rootsOf(files));
    expect(records.saves).toBe(saves);
    clock.advance(HASH_SAVE_DELAY_MS - 1);
    expect(records.saves).toBe(saves);
    clock.advance(1);
    expect(records.saves).toBe(saves + 1);
    expect(records.saved!.roots).toEqual(await rootsOf(files));
  });

  it('learned before a reload go in every receiver’s list of files, and the files are served against them', async () => {
    const files = [randomFile('a.bin', 1024), randomFile('large.bin', DEFAULT_WINDOW)];
    const { keeper, broker, records } = await reloaded(files, { hashed: true });
    await keeper.addFilesAgain(files);
    const far = receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!);
    const done = await far.settled;
    expect(done.state).toBe('done');
    expect(done.files.map((file) => file.root)).toEqual(records.saved!.roots);
    expect(far.store().verified).toEqual(records.saved!.roots);
  });
});
