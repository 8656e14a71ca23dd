/** A receiver facing a sender that lies, stalls, floods or breaks the connection while it is set up. */
import { describe, expect, it } from 'vitest';
import { allocateDataFrame, allocateFilesFrame, DATA_HEADER_BYTES, encodeControl, MIN_MESSAGE_SIZE } from '../../../app/src/transfer/frames.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import type { ControlMessage, FileDescription } from '../../../app/src/transfer/messages.ts';
import { PEER_WORDS_MAX } from '../../../app/src/transfer/peer-link.ts';
import { DEFAULT_WINDOW, ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { channelPair, type FakeChannel } from '../support/fake-channel.ts';
import { memoryStore, type MemoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, receiverPrints, wire } from '../support/transfer-harness.ts';
import { hostileSetup, rawPeer, settle } from './raw-peers.ts';

async function hostileSender(
  frames: (send: (m: ControlMessage) => void, channel: FakeChannel) => void,
  stallTimeoutMs?: number,
  makeStore = memoryStore,
) {
  const [senderChannel, receiverChannel] = channelPair();
  const keys = newLinkKeys();
  const [onchange, ended] = settle<ReceiverSnapshot>();
  let store: MemoryStore | undefined;
  const receiver = new ReceiverSession({
    channel: receiverChannel,
    maxMessageSize: receiverChannel.maxMessageSize,
    fingerprints: receiverPrints,
    ...keys,
    stallTimeoutMs,
    openStore: async (files) => (store = makeStore(files)),
    onchange: (s) => {
      if (s.state === 'waiting') void receiver.download();
      onchange(s);
    },
  });
  void receiver.start();
  const peer = await rawPeer(senderChannel, keys, 'sender');
  peer.send({ type: 'manifest', files: [{ name: 'a.txt', size: 4, type: '', lastModified: 0 }] });
  await expect.poll(() => peer.received.some((m) => m.type === 'request')).toBe(true);
  frames(peer.send, senderChannel);
  return { snapshot: await ended, store: store!, peer };
}

function data(file: number, offset: number, bytes: number[]) {
  const f = allocateDataFrame(file, offset, bytes.length);
  f.set(bytes, DATA_HEADER_BYTES);
  return f;
}

describe('a receiver facing a hostile or broken sender', () => {
  it.each([
    ['data for a file that does not exist', (c: FakeChannel) => c.send(data(5, 0, [1])), /file 5, which is not the one expected/],
    ['data at the wrong offset', (c: FakeChannel) => c.send(data(0, 2, [1])), /offset 2; expected 0/],
    ['data past the end of the file', (c: FakeChannel) => c.send(data(0, 0, [1, 2, 3, 4, 5])), /past the end of what was asked/],
    ['an unknown frame type', (c: FakeChannel) => c.send(new Uint8Array([0x33, 1, 2])), /unknown frame type/],
  ])('%s → a clear error, nothing kept', async (_, act, message) => {
    const { snapshot, store, peer } = await hostileSender((_send, channel) => act(channel));
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(message);
    expect(store.verified).toEqual([null]);
    // The receiver told the sender why it hung up.
    await expect.poll(() => peer.received.some((m) => m.type === 'error')).toBe(true);
  });

  it.each([
    ['a file sent whole with fewer bytes than its size', [{ file: 0, size: 3 }], /a\.txt came with 3 of its 4 bytes/],
    ['a file sent whole that was not asked for', [{ file: 1, size: 4 }], /file 1 whole, which was not asked for whole/],
    ['a file sent whole twice', [{ file: 0, size: 4 }, { file: 0, size: 4 }], /file 0 whole, which was not asked for whole/],
  ])('%s → a clear error', async (_, listed, message) => {
    const { snapshot } = await hostileSender((_send, channel) => channel.send(allocateFilesFrame(listed).frame));
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(message);
  });

  it('a file that ends early', async () => {
    const { snapshot } = await hostileSender((send, channel) => {
      channel.send(data(0, 0, [1, 2]));
      send({ type: 'file-end', file: 0, sha256: '0'.repeat(64) });
    });
    expect(snapshot.error).toMatch(/ended after 2 of 4 bytes/);
  });

  it('the sender vanishing mid-transfer', async () => {
    const { snapshot } = await hostileSender((_send, channel) => {
      channel.send(data(0, 0, [1, 2]));
      setTimeout(() => channel.close(), 10);
    });
    expect(snapshot.state).toBe('error');
    expect(snapshot.failure).toEqual({ code: 'sender-went-away' });
    expect(snapshot.error).toMatch(/sender went away/);
  });

  it('a sender that reports an error', async () => {
    const { snapshot } = await hostileSender((send) => send({ type: 'error', message: 'disk unplugged' }));
    expect(snapshot.failure).toEqual({ code: 'peer-stopped', by: 'sender', words: 'disk unplugged' });
    expect(snapshot.error).toBe('The sender stopped the transfer: disk unplugged');
  });

  it('a sender whose error text would reorder, hide or drown what is around it', async () => {
    const words = `\u202Eelif siht nepo\u202C\n\n\u200BPlease  reinstall\tFerry ${'from evil.example '.repeat(40)}`;
    const { snapshot } = await hostileSender((send) => send({ type: 'error', message: words }));
    const [prefix, quoted] = [snapshot.error!.slice(0, 33), snapshot.error!.slice(33)];
    expect(prefix).toBe('The sender stopped the transfer: ');
    expect(quoted).toMatch(/^elif siht nepo Please reinstall Ferry from evil\.example/);
    expect(quoted).not.toMatch(/[\u0000-\u001f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(Array.from(quoted).length).toBeLessThanOrEqual(PEER_WORDS_MAX);
    expect(quoted.endsWith('…')).toBe(true);
  });
});

describe('a sender that goes silent', () => {
  it('is hung up on after the stall timeout, as a dropped connection', async () => {
    const { snapshot } = await hostileSender(() => {}, 100);
    expect(snapshot.state).toBe('error');
    expect(snapshot.disconnected).toBe(true);
  });
});

/** Resolves with what `ended` gives, or with 'hung' if it takes longer than `ms`. */
function within<T>(ended: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  return Promise.race([ended, hung]).finally(() => clearTimeout(timer));
}

/** A receiver facing a sender that proves the secret, then does only what `act` says. */
async function provenSender(act: (channel: FakeChannel) => void, stallTimeoutMs: number) {
  const [senderChannel, receiverChannel] = channelPair({ maxMessageSize: MIN_MESSAGE_SIZE });
  const keys = newLinkKeys();
  const [onchange, ended] = settle<ReceiverSnapshot>();
  const snapshots: ReceiverSnapshot[] = [];
  const receiver = new ReceiverSession({
    channel: receiverChannel,
    maxMessageSize: MIN_MESSAGE_SIZE,
    fingerprints: receiverPrints,
    ...keys,
    stallTimeoutMs,
    openStore: async (files) => memoryStore(files),
    onchange: (snapshot) => (snapshots.push(snapshot), onchange(snapshot)),
  });
  void receiver.start();
  const peer = await rawPeer(senderChannel, keys, 'sender');
  await expect.poll(() => peer.received.some((m) => m.type === 'hello')).toBe(true);
  act(senderChannel);
  return { ended: within(ended, 2000), snapshots };
}

describe('a sender that proves the secret and then', () => {
  it('sends no manifest is hung up on, as a dropped connection', async () => {
    const { ended } = await provenSender(() => {}, 100);
    const snapshot = await ended;
    expect(snapshot).not.toBe('hung');
    expect(snapshot).toMatchObject({ state: 'error', disconnected: true, error: 'The sender’s page answered but sent no list of files.' });
  });

  it('sends a long manifest slowly is waited for, as long as it keeps coming', async () => {
    const files = Array.from({ length: 3000 }, (_, i) => ({ name: `photo-${i}.jpg`, size: i, type: '', lastModified: 0 }));
    const frames = encodeControl({ type: 'manifest', files }, MIN_MESSAGE_SIZE);
    // A frame every 100 ms, against 600 ms of allowed silence: room for a busy machine's
    // late timers, and still far longer in all than the silence allowed.
    const { snapshots } = await provenSender((channel) => {
      frames.forEach((frame, i) => setTimeout(() => channel.readyState === 'open' && channel.send(frame), 100 * (i + 1)));
    }, 600);
    expect(frames.length * 100).toBeGreaterThanOrEqual(2 * 600);
    await expect.poll(() => snapshots.at(-1)?.state, { timeout: 10_000 }).toBe('waiting');
    expect(snapshots.at(-1)!.files).toHaveLength(3000);
  });
});

/** A store whose writes never finish: the receiver waits on its disk. */
function stuckStore(files: readonly FileDescription[]): MemoryStore {
  return { ...memoryStore(files), write: () => new Promise<void>(() => {}) };
}

describe('a sender that floods the receiver while it waits on its disk', () => {
  it('with more messages than it could have outstanding is hung up on', async () => {
    // 5,000 one-byte frames; an honest sender has at most a window in 16 KiB frames plus
    // two per asked range outstanding, about 2,200 (inboxLimits).
    const { snapshot } = await hostileSender(
      (_send, channel) => {
        channel.send(data(0, 0, [1]));
        for (let i = 0; i < 5000; i++) channel.send(data(0, 1, [2]));
      },
      undefined,
      stuckStore,
    );
    expect(snapshot).toMatchObject({ state: 'error', error: 'the other side sent more than it was asked for' });
  });

  it('with more bytes than it was asked for is hung up on', async () => {
    const { snapshot } = await hostileSender(
      (_send, channel) => {
        channel.send(data(0, 0, [1]));
        // A window's worth of frames each a full message long: far more than the 3 bytes still asked for.
        for (let i = 0; i < Math.ceil(DEFAULT_WINDOW / 262144) + 4; i++) channel.send(allocateDataFrame(0, 1, 262144 - DATA_HEADER_BYTES));
      },
      undefined,
      stuckStore,
    );
    expect(snapshot).toMatchObject({ state: 'error', error: 'the other side sent more than it was asked for' });
  });
});

describe('a connection that goes wrong while it is set up', () => {
  it('counts as a failed connection, worth dialling again', async () => {
    const { snapshot } = await hostileSetup();
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(/manifest before authentication/);
    expect(snapshot.disconnected).toBe(true);
  });

  it('unlike a sender that refuses the receiver’s proof of the secret', async () => {
    const run = wire([randomFile('a', 10)], { receiverSecret: newSecret() });
    const { receiver } = await run.settled;
    expect(receiver.disconnected).toBe(false);
  });
});
