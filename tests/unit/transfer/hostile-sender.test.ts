/** A receiver facing a sender that lies, stalls, floods or breaks the connection while it is set up. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, blockDigest, treeOfBytes, type BlockTree } from '../../../app/src/transfer/block-tree.ts';
import {
  allocateDataFrame,
  allocateFilesFrame,
  DATA_HEADER_BYTES,
  encodeBlock,
  encodeControl,
  MIN_MESSAGE_SIZE,
} from '../../../app/src/transfer/frames.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import type { ControlMessage, FileDescription } from '../../../app/src/transfer/messages.ts';
import { PEER_WORDS_MAX } from '../../../app/src/transfer/peer-link.ts';
import { DEFAULT_WINDOW, inboxLimits, ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { channelPair, type FakeChannel } from '../support/fake-channel.ts';
import { memoryStore, type MemoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, receiverPrints, rootOf, wire } from '../support/transfer-harness.ts';
import { hostileSetup, rawPeer, settle } from './raw-peers.ts';

/** The one file the hand-played sender offers by default: four bytes, its root not in the manifest. */
const CONTENT = new Uint8Array([1, 2, 3, 4]);
const A_TXT: FileDescription = { name: 'a.txt', size: 4, type: '', lastModified: 0 };

interface HostileOptions {
  stallTimeoutMs?: number;
  makeStore?: (files: readonly FileDescription[]) => MemoryStore;
  /** The manifest's files; by default a.txt alone. */
  files?: FileDescription[];
}

/** A receiver facing a sender played by hand: its manifest, then, once asked for bytes, whatever `frames` sends. */
async function hostileSender(
  frames: (send: (m: ControlMessage) => void, channel: FakeChannel) => void | Promise<void>,
  { stallTimeoutMs, makeStore = memoryStore, files = [A_TXT] }: HostileOptions = {},
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
  peer.send({ type: 'manifest', files });
  await expect.poll(() => peer.received.some((m) => m.type === 'request')).toBe(true);
  await frames(peer.send, senderChannel);
  return { snapshot: await ended, store: store!, peer };
}

function data(file: number, offset: number, bytes: ArrayLike<number>) {
  const f = allocateDataFrame(file, offset, bytes.length);
  f.set(bytes, DATA_HEADER_BYTES);
  return f;
}

function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** What an honest sender sends first for a.txt, whose root the manifest went without: the root, then its one block's proof. */
async function honestStart(send: (m: ControlMessage) => void, channel: FakeChannel): Promise<void> {
  send({ type: 'root', file: 0, root: await rootOf(CONTENT) });
  channel.send(encodeBlock(0, 0, sha256Bytes(CONTENT), []));
}

/** Block `index` of the file `tree` is made of, as an honest sender sends it: its proof, then its bytes in frames that fit. */
function sendBlock(channel: FakeChannel, tree: BlockTree, bytes: Uint8Array, index: number): void {
  channel.send(encodeBlock(0, index, tree.blockHashes[index]!, tree.proveBlock(index)));
  sendBlockBytes(channel, bytes, index);
}

function sendBlockBytes(channel: FakeChannel, bytes: Uint8Array, index: number): void {
  const room = channel.maxMessageSize - DATA_HEADER_BYTES;
  const end = Math.min(bytes.length, (index + 1) * BLOCK_SIZE);
  for (let at = index * BLOCK_SIZE; at < end; at += room) channel.send(data(0, at, bytes.subarray(at, Math.min(end, at + room))));
}

describe('a receiver facing a hostile or broken sender', () => {
  it.each([
    ['data for a file that does not exist', (c: FakeChannel) => c.send(data(5, 0, [1])), /file 5, which is not the one expected/],
    ['data at the wrong offset', (c: FakeChannel) => c.send(data(0, 2, [1])), /offset 2; expected 0/],
    ['data past the end of the file', (c: FakeChannel) => c.send(data(0, 0, [1, 2, 3, 4, 5])), /past the end of what was asked/],
    ['an unknown frame type', (c: FakeChannel) => c.send(new Uint8Array([0x33, 1, 2])), /unknown frame type/],
    ['data before its block’s proof', (c: FakeChannel) => c.send(data(0, 0, [1, 2, 3, 4])), /data for file 0 without its block's proof/],
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
    const { snapshot, store } = await hostileSender(async (send, channel) => {
      await honestStart(send, channel);
      channel.send(data(0, 0, [1, 2]));
      send({ type: 'file-end', file: 0 });
    });
    expect(snapshot.error).toMatch(/ended after 2 of 4 bytes/);
    // Half a block is no block: nothing of it was stored.
    expect(store.written).toBe(0);
  });

  it('the sender vanishing mid-transfer', async () => {
    const { snapshot } = await hostileSender(async (send, channel) => {
      await honestStart(send, channel);
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
    const { snapshot } = await hostileSender(() => {}, { stallTimeoutMs: 100 });
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
  /** The most an honest sender can have in flight that the receiver has not handled (DEFAULT_WINDOW, the harness's messages). */
  const limits = inboxLimits(DEFAULT_WINDOW, 262144);

  /** a.txt's whole block, honestly: the receiver then waits on its stuck disk, handling nothing more. */
  async function blockThenFlood(send: (m: ControlMessage) => void, channel: FakeChannel, flood: () => void) {
    await honestStart(send, channel);
    channel.send(data(0, 0, CONTENT));
    flood();
  }

  it('with more messages than it could have outstanding is hung up on', async () => {
    const { snapshot } = await hostileSender(
      (send, channel) => blockThenFlood(send, channel, () => {
        for (let i = 0; i < limits.messages; i++) channel.send(data(0, 4, [2]));
      }),
      { makeStore: stuckStore },
    );
    expect(snapshot).toMatchObject({ state: 'error', error: 'the other side sent more than it was asked for' });
  });

  it('with more bytes than it was asked for is hung up on', async () => {
    const frames = Math.ceil(limits.bytes / 262144) + 1;
    // Far fewer frames than the bound on messages: only the bytes can give it away.
    expect(frames).toBeLessThan(limits.messages / 10);
    const { snapshot } = await hostileSender(
      (send, channel) => blockThenFlood(send, channel, () => {
        for (let i = 0; i < frames; i++) channel.send(allocateDataFrame(0, 4, 262144 - DATA_HEADER_BYTES));
      }),
      { makeStore: stuckStore },
    );
    expect(snapshot).toMatchObject({ state: 'error', error: 'the other side sent more than it was asked for' });
  });
});

/** A file of two whole blocks and a short third, its root in the manifest. */
async function threeBlocks() {
  const file = randomFile('big.bin', 2 * BLOCK_SIZE + 10);
  const tree = await treeOfBytes(blockDigest, file.bytes);
  const description: FileDescription = { name: file.name, size: file.size, type: '', lastModified: 0, root: await rootOf(file.bytes) };
  return { file, tree, description };
}

describe('a sender that forges a block', () => {
  it.each([
    ['the hash of other bytes, with the block’s true proof', (tree: BlockTree) => [sha256Bytes(new Uint8Array(BLOCK_SIZE)), tree.proveBlock(1)]],
    ['its true hash, with another block’s proof', (tree: BlockTree) => [tree.blockHashes[1]!, tree.proveBlock(0)]],
    ['its true hash, with its proof cut short', (tree: BlockTree) => [tree.blockHashes[1]!, tree.proveBlock(1).slice(0, 1)]],
    ['a block of another file of that size, with a proof that holds for that file’s root', (_: BlockTree, other: BlockTree) => [other.blockHashes[1]!, other.proveBlock(1)]],
  ] as const)('%s: refused as breaking the protocol, nothing of it stored', async (_, forge) => {
    const { file, tree, description } = await threeBlocks();
    const other = randomFile('other.bin', file.size);
    const otherTree = await treeOfBytes(blockDigest, other.bytes);
    const [hash, proof] = forge(tree, otherTree) as [Uint8Array, Uint8Array[]];
    const { snapshot, store } = await hostileSender(
      (_send, channel) => {
        sendBlock(channel, tree, file.bytes, 0);
        channel.send(encodeBlock(0, 1, hash, proof));
        sendBlockBytes(channel, other.bytes, 1);
      },
      { files: [description] },
    );
    expect(snapshot.state).toBe('error');
    expect(snapshot.failure).toMatchObject({ code: 'protocol' });
    expect(snapshot.error).toMatch(/block 1 of big\.bin does not belong to the file’s root/);
    // Block 0 was proven and matched: it stays. Nothing of block 1 was written.
    expect(store.ranges(0)).toEqual([[0, BLOCK_SIZE]]);
    expect(store.written).toBe(BLOCK_SIZE);
    expect(store.verified).toEqual([null]);
  });

  it.each([
    ['before the file’s root', async (_send: (m: ControlMessage) => void, c: FakeChannel) => c.send(encodeBlock(0, 0, sha256Bytes(CONTENT), [])), /a block of a\.txt before its root/],
    [
      'that is not the block asked for next',
      async (send: (m: ControlMessage) => void, c: FakeChannel) => {
        send({ type: 'root', file: 0, root: await rootOf(CONTENT) });
        c.send(encodeBlock(0, 1, sha256Bytes(CONTENT), []));
      },
      /block 1 of file 0, which is not the one expected next/,
    ],
    [
      'before the one before it is whole',
      async (send: (m: ControlMessage) => void, c: FakeChannel) => {
        await honestStart(send, c);
        c.send(encodeBlock(0, 0, sha256Bytes(CONTENT), []));
      },
      /block 0 of a\.txt before the one before it was whole/,
    ],
  ])('%s: refused with a clear error', async (_, act, message) => {
    const { snapshot, store } = await hostileSender(act);
    expect(snapshot.error).toMatch(message);
    expect(store.written).toBe(0);
  });
});

describe('a sender that names another root than the one announced', () => {
  it('in a root message, after the manifest’s: the files changed, nothing stored', async () => {
    const { description } = await threeBlocks();
    const { snapshot, store } = await hostileSender((send) => send({ type: 'root', file: 0, root: 'f'.repeat(64) }), { files: [description] });
    expect(snapshot).toMatchObject({ state: 'error', failure: { code: 'files-changed', files: ['big.bin'] }, filesChanged: ['big.bin'] });
    expect(store.pins).toEqual([description.root]);
    expect(store.written).toBe(0);
  });

  it('in a root message, after the one this transfer pinned before: the files changed, nothing stored', async () => {
    const pinned = await rootOf(new Uint8Array([9, 9, 9, 9]));
    const pinnedStore = (files: readonly FileDescription[]) => Object.assign(memoryStore(files), { pins: [pinned] });
    const { snapshot, store } = await hostileSender(async (send) => send({ type: 'root', file: 0, root: await rootOf(CONTENT) }), {
      makeStore: pinnedStore,
    });
    expect(snapshot).toMatchObject({ state: 'error', failure: { code: 'files-changed', files: ['a.txt'] } });
    expect(store.pins).toEqual([pinned]);
    expect(store.written).toBe(0);
  });

  it('in a file sent whole, whose hash leads to another root than the manifest’s: the files changed, nothing stored', async () => {
    const description = { ...A_TXT, root: await rootOf(new Uint8Array([9, 9, 9, 9])) };
    const { snapshot, store } = await hostileSender(
      (_send, channel) => {
        const { frame, payloads, hashes } = allocateFilesFrame([{ file: 0, size: 4 }]);
        payloads[0]!.set(CONTENT);
        hashes[0]!.set(sha256Bytes(CONTENT));
        channel.send(frame);
      },
      { files: [description] },
    );
    expect(snapshot).toMatchObject({ state: 'error', failure: { code: 'files-changed', files: ['a.txt'] } });
    expect(store.written).toBe(0);
    expect(store.verified).toEqual([null]);
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
