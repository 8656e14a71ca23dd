import { afterEach, describe, expect, it } from 'vitest';
import { FailureError, type Failure } from '../../../app/src/transfer/failure.ts';
import { ReceiveFlow, type SenderChannel, type RedialTimes, type TransferBook } from '../../../app/src/session/receive-flow.ts';
import type { TransferRecord } from '../../../app/src/session/transfer-record.ts';
import { passwordKey, proveReceiverKey } from '../../../app/src/transfer/auth.ts';
import type { ShareAddress } from '../../../app/src/transfer/link.ts';
import type { EndReason } from '../../../app/src/transfer/messages.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { SenderSession } from '../../../app/src/transfer/sender.ts';
import { OPEN_GATE, ShareGate } from '../../../app/src/transfer/share-gate.ts';
import { StorageFullError } from '../../../app/src/transfer/store.ts';
import { channelPair } from '../support/fake-channel.ts';
import { memoryStore, type MemoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, receiverPrints, senderPrints, sha256 } from '../support/transfer-harness.ts';

const TIMES: RedialTimes = { backoffMs: [5, 10], giveUpMs: 300, awaitSenderMs: [5, 10], recordIntervalMs: 0 };
/** What a resume may fetch again: the window in flight when the connection dropped. */
const RESUME_BOUND = 4 * 1024 * 1024;
/**
 * Where tests cut the first connection: past the receiver's window (3 MiB), so the
 * sender had to wait for the receiver to store part of it and ask for more.
 */
const CUT_AT = 4 * 1024 * 1024;

interface Book extends TransferBook<MemoryStore> {
  records: Map<string, TransferRecord>;
  stores: Map<string, MemoryStore>;
}

/** Records and stores that outlive a flow, as IndexedDB outlives a page. */
function memoryBook(): Book {
  const records = new Map<string, TransferRecord>();
  const stores = new Map<string, MemoryStore>();
  return {
    records,
    stores,
    find: async ({ peerId }) => structuredClone(records.get(peerId)),
    save: async (record) => void records.set(record.address.peerId, structuredClone(record)),
    delete: async (record) => {
      records.delete(record.address.peerId);
      stores.delete(record.id);
    },
    open: async (record) => {
      const store = stores.get(record.id) ?? memoryStore(record.files);
      stores.set(record.id, store);
      return store;
    },
  };
}

interface Sender {
  address: ShareAddress;
  dials: number;
  online: boolean;
  /** Payload bytes put on the wire, over every connection. */
  sent: () => number;
  /** Drops the next connection once this many payload bytes have been sent on it. */
  cutAt: number | null;
  ended: EndReason | null;
  /** The text shared beside the files, as each new connection offers it. */
  text: string | null;
  /** The share's password and approval gate, if it has one. */
  gate: ShareGate | undefined;
  /** Who each connection's receiver was to the sender (its key), and whether it was asked for the password. */
  receivers: () => { key: string | null; asked: boolean }[];
  dial: (signal: AbortSignal) => Promise<SenderChannel>;
}

/** A sending side that answers every dial with a new SenderSession over an in-memory channel pair. */
function sender(files: FileSource[]): Sender {
  const keys = newLinkKeys();
  const sessions: SenderSession[] = [];
  const asked = new Set<SenderSession>();
  const state: Sender = {
    address: { peerId: 'sender0001', secret: keys.secret, senderKey: keys.senderKey },
    dials: 0,
    online: true,
    cutAt: null,
    ended: null,
    text: null,
    gate: undefined,
    receivers: () => sessions.map((session) => ({ key: session.snapshot.receiverKey, asked: asked.has(session) })),
    sent: () => sessions.reduce((sum, session) => sum + session.snapshot.sentBytes, 0),
    dial: async () => {
      state.dials += 1;
      if (!state.online) throw new FailureError({ code: 'server-unreachable' });
      const [ours, theirs] = channelPair({ bytesPerTick: 256 * 1024 });
      const cutAt = state.cutAt;
      if (cutAt !== null) {
        state.cutAt = null;
        const send = ours.send.bind(ours);
        let payload = 0;
        ours.send = (frame) => {
          send(frame);
          if (frame[0] === 0x10 || frame[0] === 0x11) payload += frame.length;
          if (payload >= cutAt) ours.drop();
        };
      }
      const session: SenderSession = new SenderSession({
        channel: ours,
        maxMessageSize: ours.maxMessageSize,
        fingerprints: senderPrints,
        ...keys,
        files,
        text: state.text,
        gate: state.gate,
        ended: () => state.ended,
        device: SENDER_DEVICE,
        onchange: (snapshot) => void (snapshot.state === 'password' && asked.add(session)),
      });
      sessions.push(session);
      void session.start();
      return { channel: theirs, maxMessageSize: theirs.maxMessageSize, fingerprints: receiverPrints, close: () => theirs.close() };
    },
  };
  return state;
}

const flows: ReceiveFlow<MemoryStore>[] = [];
afterEach(() => flows.splice(0).forEach((flow) => flow.close()));
/** Who wants to hear of each flow's changes (see until). */
const watchers = new WeakMap<ReceiveFlow<MemoryStore>, Set<() => void>>();

function receiver(from: Sender, book: Book, extra: Partial<ConstructorParameters<typeof ReceiveFlow<MemoryStore>>[0]> = {}) {
  const done: string[] = [];
  /** Every phase the flow passed through, however briefly. */
  const phases: string[] = [];
  const watching = new Set<() => void>();
  const flow: ReceiveFlow<MemoryStore> = new ReceiveFlow({
    address: from.address,
    dial: (signal) => from.dial(signal),
    book,
    device: 'Tests on Node',
    onchange: () => {
      if (phases.at(-1) !== flow.state.phase) phases.push(flow.state.phase);
      watching.forEach((check) => check());
    },
    ondone: (snapshot) => done.push(snapshot.state),
    times: TIMES,
    ...extra,
  });
  watchers.set(flow, watching);
  flows.push(flow);
  return { flow, done, phases };
}

/**
 * Resolves once `predicate` holds, checked on every change the flow reports, so a state
 * however brief is seen. The time limit only turns a hang into a readable failure.
 */
function until(flow: ReceiveFlow<MemoryStore>, predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const watching = watchers.get(flow)!;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate()) return;
      watching.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => (watching.delete(check), reject(new Error(`never ${what}; status ${flow.status}`))), ms);
    watching.add(check);
    check();
  });
}

const SENDER_DEVICE = 'Chrome 131 on Linux';

/** A first visit to `from`'s link whose connection drops mid-transfer: it waits to redial, and its page is closed. */
async function droppedVisit(from: Sender, book: Book): Promise<void> {
  from.cutAt = CUT_AT;
  const { flow } = receiver(from, book, { times: { ...TIMES, backoffMs: [60_000] } });
  await flow.connect();
  await until(flow, () => flow.status === 'waiting', 'waited for Download');
  flow.download();
  await until(flow, () => flow.status === 'reconnecting', 'dropped');
  await flow.closeAndSettle();
}

const FILES = () => [randomFile('big.bin', 6 * 1024 * 1024 + 17), randomFile('small.txt', 900), randomFile('empty', 0)];

function expectReceived(store: MemoryStore, files: (FileSource & { bytes: Uint8Array })[]) {
  files.forEach((file, index) => {
    expect(store.isVerified(index)).toBe(true);
    expect(sha256(store.bytes(index))).toBe(sha256(file.bytes));
  });
}

describe('receiving a share through ReceiveFlow', () => {
  it('waits for Download, then receives every file and remembers the transfer as done', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    const { flow, done } = receiver(from, book);
    await flow.connect();
    await until(flow, () => flow.status === 'waiting', 'waited for Download');
    expect(from.sent()).toBe(0);
    flow.download();
    await until(flow, () => flow.status === 'done', 'finished');
    expectReceived(flow.store!, files);
    expect(done).toEqual(['done']);
    expect(flow.state.kept).toBe(true);
    const record = book.records.get(from.address.peerId)!;
    expect(record).toMatchObject({ done: true, stored: files.reduce((sum, file) => sum + file.size, 0) });
  });

  it('says the sender is offline when the first dial fails, and keeps the error for the headline', async () => {
    const from = sender(FILES());
    from.online = false;
    const { flow } = receiver(from, memoryBook());
    await flow.connect();
    expect(flow.status).toBe('error');
    expect(flow.state.phase).toBe('offline');
    expect(flow.state.trouble).toMatchObject({ kind: 'unreachable' });
    expect(flow.state.lastDialFailure).toEqual({ code: 'server-unreachable' });
    expect(flow.state.gaveUp).toBe(false);
    // Not mid-transfer: nobody dials again until the person asks.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(from.dials).toBe(1);
  });

  it('waits for a sender that was not there, when the front end waits, and connects by itself once it is back', async () => {
    const from = sender(FILES());
    from.online = false;
    const waitedFor: Failure[] = [];
    const { flow, phases } = receiver(from, memoryBook(), { waitsFor: (failure) => (waitedFor.push(failure), true) });
    await flow.connect();
    expect(flow.status).toBe('error');
    expect(flow.state.awaiting).toBe(true);
    expect(waitedFor[0]).toEqual({ code: 'server-unreachable' });
    await until(flow, () => from.dials >= 3, 'tried again');
    // Each try that finds nobody stays offline, without flickering through "connecting".
    expect(phases).toEqual(['connecting', 'offline']);
    from.online = true;
    await until(flow, () => flow.status === 'waiting', 'got through once the sender was back');
    expect(flow.state.awaiting).toBe(false);
    expect(phases).toEqual(['connecting', 'offline', 'session']);
  });

  it('stops waiting for a sender that stays away, and says it stopped', async () => {
    const from = sender(FILES());
    from.online = false;
    const { flow } = receiver(from, memoryBook(), { waitsFor: () => true });
    await flow.connect();
    await until(flow, () => !flow.state.awaiting, 'stopped waiting', TIMES.giveUpMs + 2000);
    expect(flow.state.phase).toBe('offline');
    expect(flow.state.gaveUp).toBe(true);
    expect(from.dials).toBeGreaterThan(3);
  });

  it('redials after a drop mid-transfer and fetches only what is missing', async () => {
    const files = FILES();
    const from = sender(files);
    from.cutAt = CUT_AT;
    const { flow, phases } = receiver(from, memoryBook());
    await flow.connect();
    await until(flow, () => flow.status === 'waiting', 'waited for Download');
    flow.download();
    await until(flow, () => flow.status === 'done', 'finished after the drop');
    expect(phases).toEqual(['connecting', 'session', 'reconnecting', 'session']);
    expect(from.dials).toBe(2);
    expectReceived(flow.store!, files);
    const total = files.reduce((sum, file) => sum + file.size, 0);
    expect(from.sent()).toBeGreaterThanOrEqual(total);
    expect(from.sent()).toBeLessThanOrEqual(total + RESUME_BOUND);
  });

  it('gives up redialling a sender that stays away, saying so', async () => {
    const from = sender(FILES());
    from.cutAt = CUT_AT;
    const { flow } = receiver(from, memoryBook());
    await flow.connect();
    await until(flow, () => flow.status === 'waiting', 'waited for Download');
    from.online = false;
    flow.download();
    await until(flow, () => flow.state.gaveUp, 'gave up', TIMES.giveUpMs + 2000);
    expect(flow.state.phase).toBe('offline');
    expect(from.dials).toBeGreaterThan(3);
    expect(flow.state.trouble).toMatchObject({ kind: 'unreachable' });
    // Given up means given up: no timer dials on.
    const dials = from.dials;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(from.dials).toBe(dials);
  });

  it('resumes on a later visit without asking again, from what the book kept', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    // The page is closed while it waits to redial; a new one opens the same link.
    await droppedVisit(from, book);
    const kept = book.stores.get(book.records.get(from.address.peerId)!.id)!;
    const stored = files.reduce((sum, _, index) => sum + kept.ranges(index).reduce((s, [a, b]) => s + b - a, 0), 0);
    expect(stored).toBeGreaterThan(0);
    const second = receiver(from, book);
    await second.flow.connect();
    await until(second.flow, () => second.flow.status === 'done', 'finished without a Download');
    expect(second.flow.store).toBe(kept);
    expectReceived(kept, files);
  });

  it('opens a finished transfer from storage on a later visit, calling nobody', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    const first = receiver(from, book);
    await first.flow.connect();
    await until(first.flow, () => first.flow.status === 'waiting', 'waited for Download');
    first.flow.download();
    await until(first.flow, () => first.flow.status === 'done', 'finished');
    await first.flow.closeAndSettle();
    // The sender's page is closed, and the server with it.
    from.online = false;
    const dials = from.dials;
    const again = receiver(from, book);
    await again.flow.connect();
    expect(again.flow.status).toBe('done');
    expect(from.dials).toBe(dials);
    expect(again.flow.state.snapshot).toMatchObject({ files: files.map(({ name }) => expect.objectContaining({ name })), outcomes: ['verified', 'verified', 'verified'] });
    expect(again.done).toEqual([]); // not news: nothing to notify about
    // Who sent them is remembered with them.
    expect(again.flow.state.snapshot?.senderDevice).toBe(SENDER_DEVICE);
    expectReceived(again.flow.store!, files);
  });

  it('shows what is stored while the sender is out of reach, then fetches only the rest', async () => {
    const files = [randomFile('small.txt', 900), randomFile('big.bin', 6 * 1024 * 1024 + 17)];
    const from = sender(files);
    const book = memoryBook();
    await droppedVisit(from, book);

    from.online = false;
    const later = receiver(from, book);
    await later.flow.connect();
    expect(later.flow.state.phase).toBe('offline');
    const held = later.flow.state.held!;
    expect(held.files.map((file) => file.name)).toEqual(['small.txt', 'big.bin']);
    expect(held.outcomes).toEqual(['verified', 'pending']);
    expect(held.progress.bytes).toBeGreaterThan(900);
    expect(sha256(later.flow.store!.bytes(0))).toBe(sha256(files[0]!.bytes));

    from.online = true;
    const sentBefore = from.sent();
    await later.flow.connect();
    await until(later.flow, () => later.flow.status === 'done', 'finished');
    expectReceived(later.flow.store!, files);
    expect(from.sent() - sentBefore).toBeLessThanOrEqual(files[1]!.size - held.progress.bytes + 900 + RESUME_BOUND);
  });

  it('remembers that the sender ended the link, and says so next time without calling', async () => {
    const from = sender(FILES());
    const book = memoryBook();
    await droppedVisit(from, book);
    from.ended = 'stopped';
    const again = receiver(from, book);
    await again.flow.connect();
    await until(again.flow, () => again.flow.status === 'ended', 'heard the link ended');
    const dials = from.dials;
    const third = receiver(from, book);
    await third.flow.connect();
    expect(third.flow.status).toBe('ended');
    expect(third.flow.state.snapshot?.ended).toBe('stopped');
    expect(from.dials).toBe(dials);
  });

  it('does not start when storage has no room, and says how much is needed', async () => {
    const from = sender(FILES());
    const shortfall = { needed: 5_000_000, free: 1_000 };
    const { flow } = receiver(from, memoryBook(), { roomFor: async () => shortfall });
    await flow.connect();
    await until(flow, () => flow.status === 'waiting', 'waited for Download');
    flow.download();
    await until(flow, () => flow.state.blocked !== null, 'was blocked');
    expect(flow.state.blocked).toEqual({ kind: 'no-room', shortfall });
    expect(flow.status).toBe('waiting');
    expect(from.sent()).toBe(0);
  });

  it('does not start when storage fails, and says why as a failure', async () => {
    const full = { ...memoryBook(), save: async () => Promise.reject(new StorageFullError('no room for the record')) };
    const cases = [
      { book: full, extra: {}, failure: { code: 'storage-full' } },
      { book: memoryBook(), extra: { roomFor: async () => Promise.reject(new Error('estimate failed')) }, failure: { code: 'unexpected', detail: 'estimate failed' } },
    ];
    for (const { book, extra, failure } of cases) {
      const from = sender(FILES());
      const { flow } = receiver(from, book, extra);
      await flow.connect();
      await until(flow, () => flow.status === 'waiting', 'waited for Download');
      flow.download();
      await until(flow, () => flow.state.blocked !== null, 'was blocked');
      expect(flow.state.blocked).toEqual({ kind: 'storage', failure });
      expect(from.sent()).toBe(0);
    }
  });

  it('dials nobody when closed while it looks for an earlier transfer', async () => {
    const from = sender(FILES());
    const { flow } = receiver(from, memoryBook());
    const connecting = flow.connect();
    flow.close();
    await connecting;
    expect(from.dials).toBe(0);
  });

  it('closes a connection that opens after the flow was closed', async () => {
    const from = sender(FILES());
    let closed = false;
    let dialled!: () => void;
    const dialling = new Promise<void>((resolve) => (dialled = resolve));
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const { flow } = receiver(from, memoryBook(), {
      dial: async (signal) => {
        dialled();
        await opened;
        const connection = await from.dial(signal);
        return { ...connection, close: () => ((closed = true), connection.close()) };
      },
    });
    const connecting = flow.connect();
    await dialling;
    flow.close();
    open();
    await connecting;
    expect(closed).toBe(true);
    expect(flow.state.snapshot).toBeNull();
  });

  it('start over deletes what was stored and offers the files again', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    const { flow } = receiver(from, book);
    await flow.connect();
    await until(flow, () => flow.status === 'waiting', 'waited for Download');
    flow.download();
    await until(flow, () => flow.status === 'done', 'finished');
    const old = flow.store!;
    await flow.startOver();
    expect(book.records.size).toBe(0);
    await until(flow, () => flow.status === 'waiting', 'offered the files again');
    expect(flow.store).not.toBe(old);
    expect(flow.store!.ranges(0)).toEqual([]);
  });
});

describe('a share with a password, through ReceiveFlow', () => {
  const PASSWORD = 'paper boats';

  /** A first visit that gives the password, chooses Download and is cut off mid-transfer; then its page is closed. */
  async function passedAndDropped(from: Sender, book: Book): Promise<void> {
    from.gate = new ShareGate({ ...OPEN_GATE, passwordKey: passwordKey(from.address.secret, PASSWORD) });
    from.cutAt = CUT_AT;
    const { flow } = receiver(from, book, { times: { ...TIMES, backoffMs: [60_000] } });
    await flow.connect();
    await until(flow, () => flow.status === 'password', 'was asked for the password');
    flow.submitPassword(PASSWORD);
    await until(flow, () => flow.status === 'waiting', 'was let in');
    flow.download();
    await until(flow, () => flow.status === 'reconnecting', 'dropped');
    await flow.closeAndSettle();
  }

  it('is not asked again of a receiver that gave it, after a reload: it proves the key kept with its transfer', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    await passedAndDropped(from, book);
    const second = receiver(from, book);
    await second.flow.connect();
    await until(second.flow, () => second.flow.status === 'done', 'finished without being asked');
    expectReceived(second.flow.store!, files);
    const [first, again] = from.receivers();
    expect(first!.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(again).toEqual({ key: first!.key, asked: false });
    // The sender knows the public half of the key kept with the record.
    expect(proveReceiverKey(book.records.get(from.address.peerId)!.receiverKey!, receiverPrints).key).toBe(first!.key);
  });

  it('is asked again, once, of a transfer recorded before receivers had keys, which keeps the key it gets', async () => {
    const files = FILES();
    const from = sender(files);
    const book = memoryBook();
    await passedAndDropped(from, book);
    delete book.records.get(from.address.peerId)!.receiverKey;
    const second = receiver(from, book);
    await second.flow.connect();
    await until(second.flow, () => second.flow.status === 'password', 'was asked for the password');
    second.flow.submitPassword(PASSWORD);
    await until(second.flow, () => second.flow.status === 'done', 'finished');
    const [, again] = from.receivers();
    expect(again!.asked).toBe(true);
    expect(again!.key).not.toBe(from.receivers()[0]!.key);
    expect(proveReceiverKey(book.records.get(from.address.peerId)!.receiverKey!, receiverPrints).key).toBe(again!.key);
  });
});

describe('a text shared through ReceiveFlow', () => {
  const NOTE = 'Код от двери: 4711\nhttps://example.org/map';

  it('alone is received with its list, without Download, and kept: opened again, it is shown without a call', async () => {
    const from = sender([]);
    from.text = NOTE;
    const book = memoryBook();
    const { flow, done } = receiver(from, book);
    await flow.connect();
    await until(flow, () => flow.status === 'done', 'received the text');
    expect(flow.state.snapshot).toMatchObject({ text: NOTE, files: [] });
    expect(done).toEqual(['done']);
    await flow.closeAndSettle();
    expect(book.records.get(from.address.peerId)).toMatchObject({ text: NOTE, done: true, files: [] });

    from.online = false;
    const again = receiver(from, book).flow;
    await again.connect();
    expect(again.status).toBe('done');
    expect(again.state.snapshot?.text).toBe(NOTE);
    expect(from.dials).toBe(1);
  });

  it('beside files is held to after a reload: another text stops the transfer and asks', async () => {
    const from = sender(FILES());
    from.text = NOTE;
    const book = memoryBook();
    await droppedVisit(from, book);
    expect(book.records.get(from.address.peerId)!.text).toBe(NOTE);

    from.text = 'Код от двери: 0000';
    const { flow } = receiver(from, book);
    await flow.connect();
    await until(flow, () => flow.state.changed !== null, 'saw the text change');
    expect(flow.state.changed).toEqual(['“Код от двери: 4711”']);
    expect(flow.state.snapshot?.text).toBeNull();
  });
});
