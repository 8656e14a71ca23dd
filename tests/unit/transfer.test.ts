import { describe, expect, it } from 'vitest';
import { newReceiverKey, newSenderKeys, proveReceiver, proveSender } from '../../app/src/transfer/auth.ts';
import { Delivery } from '../../app/src/transfer/delivery.ts';
import { FileHashes } from '../../app/src/transfer/file-hashes.ts';
import { DEFAULT_FLOW } from '../../app/src/transfer/flow.ts';
import { allocateDataFrame, allocateFilesFrame, DATA_HEADER_BYTES, encodeControl, FrameDecoder, MIN_MESSAGE_SIZE } from '../../app/src/transfer/frames.ts';
import { newSecret } from '../../app/src/transfer/link.ts';
import { PROTOCOL_VERSION } from '../../app/src/transfer/messages.ts';
import type { ControlMessage, FileDescription, Message } from '../../app/src/transfer/messages.ts';
import { PEER_WORDS_MAX } from '../../app/src/transfer/peer-link.ts';
import { DEFAULT_WINDOW, ReceiverSession, type ReceiverSnapshot } from '../../app/src/transfer/receiver.ts';
import { SenderSession, type SenderSnapshot } from '../../app/src/transfer/sender.ts';
import { StorageFullError } from '../../app/src/transfer/store.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import { ru } from '../../app/src/ui/i18n/ru.ts';
import { failureText } from '../../app/src/ui/i18n/errors.ts';
import { channelPair, type FakeChannel } from './fake-channel.ts';
import { memoryStore, type MemoryStore } from './memory-store.ts';
import { connectionPrints, memoryFile, newLinkKeys, randomFile, receiverPrints, SENDER_PRINT, senderPrints, sha256, wire, type LinkKeys } from './transfer-harness.ts';

const MiB = 1024 * 1024;

describe('a transfer over a channel that models bufferedAmount', () => {
  it('delivers 0 B, 1 B, 1 MiB + 1 B and 9 MiB files byte for byte, verified', async () => {
    const files = [randomFile('empty', 0), randomFile('one', 1), randomFile('mib', MiB + 1), randomFile('big.bin', 9 * MiB)];
    const run = wire(files, { bytesPerTick: 512 * 1024 });
    const { sender, receiver } = await run.settled;

    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
    expect(receiver.outcomes).toEqual(['verified', 'verified', 'verified', 'verified']);
    files.forEach((file, i) => {
      expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes));
      expect(run.store().verified[i]).toBe(sha256(file.bytes));
    });
    expect(sender.sentBytes).toBe(files.reduce((sum, f) => sum + f.size, 0));
    expect(sender.filesConfirmed).toBe(4);
  });

  it('never lets bufferedAmount pass the high-water mark and never sends a message over maxMessageSize', async () => {
    const maxMessageSize = 64 * 1024;
    const files = [randomFile('a', 6 * MiB), randomFile('b', 3 * MiB + 17)];
    // A slow link and a window wider than the high-water mark: the sender must wait
    // on bufferedamountlow many times.
    const run = wire(files, { maxMessageSize, bytesPerTick: 128 * 1024, window: 16 * MiB });
    const { receiver } = await run.settled;

    expect(receiver.state).toBe('done');
    expect(run.senderChannel.peakBuffered).toBeLessThanOrEqual(DEFAULT_FLOW.highWater);
    // …and it did fill up to near the mark, so the wait really happened.
    expect(run.senderChannel.peakBuffered).toBeGreaterThan(DEFAULT_FLOW.highWater - maxMessageSize);
    expect(run.senderChannel.largestMessage).toBe(maxMessageSize);
    expect(run.receiverChannel.largestMessage).toBeLessThanOrEqual(maxMessageSize);
  });

  it('moves 10,000 tiny files, with a manifest larger than one message', async () => {
    const files = Array.from({ length: 10_000 }, (_, i) => memoryFile(`dir/${i}.txt`, new TextEncoder().encode(String(i))));
    const run = wire(files);
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.outcomes.every((o) => o === 'verified')).toBe(true);
    expect(new TextDecoder().decode(run.store().bytes(9999))).toBe('9999');
  }, 30_000);

  it('reports progress that ends at the total', async () => {
    const files = [randomFile('a', 3 * MiB)];
    const run = wire(files, { bytesPerTick: 256 * 1024 });
    const { receiver } = await run.settled;
    expect(receiver.progress).toMatchObject({ bytes: 3 * MiB, total: 3 * MiB });
    const states = run.receiverSnapshots.map((s) => s.state);
    expect(states[0]).toBe('waiting');
    expect(states).toContain('transferring');
    expect(states.at(-1)).toBe('done');
  });

  it('reports the last bytes it stored even when nothing follows them for a while', async () => {
    const run = wire([randomFile('a', 8 * MiB)]);
    await run.senderChannel.holdAfter(3 * MiB);
    // The link stands still: what was last reported catches up with what is stored.
    const told = () => run.receiverSnapshots.at(-1)!.progress.bytes;
    const stored = () => run.receiver.snapshot.progress.bytes;
    await expect.poll(() => stored()).toBeGreaterThan(3 * MiB - 64 * 1024);
    await expect.poll(() => told() === stored()).toBe(true);
    run.senderChannel.release();
    expect((await run.settled).receiver.state).toBe('done');
  });

  it('tells the receiver, with the list of files, how the sender describes its device, cleaned', async () => {
    const run = wire([randomFile('a', 10)], { senderDevice: 'Firefox 153 on Linux\u202E\n' });
    const { receiver } = await run.settled;
    expect(receiver.senderDevice).toBe('Firefox 153 on Linux');
    expect(run.receiverSnapshots.every((snapshot) => snapshot.senderDevice === null || snapshot.files.length > 0)).toBe(true);
  });

  it('waits for the receiver to choose Download', async () => {
    const run = wire([randomFile('a', 10)], { autoDownload: false });
    await expect.poll(() => run.receiver.snapshot.state).toBe('waiting');
    expect(run.receiver.snapshot.files.map((f) => f.name)).toEqual(['a']);
    await expect.poll(() => run.sender.snapshot.state).toBe('waiting');
    await run.receiver.download();
    expect((await run.settled).receiver.state).toBe('done');
  });
});

function flipByte(times: number) {
  let flipped = 0;
  const tamper = (frame: Uint8Array) => {
    if (flipped < times && frame[0] === 0x10 && frame.length > DATA_HEADER_BYTES + 100) {
      flipped += 1;
      const copy = frame.slice();
      copy[DATA_HEADER_BYTES + 100]! ^= 0xff;
      return copy;
    }
    return frame;
  };
  return { tamper, flipped: () => flipped };
}

describe('integrity', () => {
  it('catches a SHA-256 mismatch and fetches the file again', async () => {
    const files = [randomFile('photo.jpg', 300_000)];
    const damage = flipByte(1);
    const run = wire(files, { tamper: damage.tamper });
    const { sender, receiver } = await run.settled;
    expect(damage.flipped()).toBe(1);
    expect(run.receiverSnapshots.some((s) => s.outcomes[0] === 'failed')).toBe(true);
    expect(receiver.state).toBe('done');
    expect(sha256(run.store().bytes(0))).toBe(sha256(files[0]!.bytes));
    expect(sender.sentBytes).toBe(2 * 300_000);
  });

  it('catches a mismatch in a file sent whole, stores none of it and fetches it again', async () => {
    const files = [randomFile('a.txt', 1000), randomFile('b.txt', 1000), randomFile('c.txt', 1000)];
    let flipped = 0;
    // The last byte of the first FILES frame is c.txt's last byte.
    const tamper = (frame: Uint8Array) => {
      if (flipped > 0 || frame[0] !== 0x11) return frame;
      flipped += 1;
      const copy = frame.slice();
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    };
    const run = wire(files, { tamper });
    const { sender, receiver } = await run.settled;
    expect(flipped).toBe(1);
    expect(run.receiverSnapshots.some((s) => s.outcomes[2] === 'failed')).toBe(true);
    expect(receiver.state).toBe('done');
    files.forEach((file, i) => expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes)));
    expect(run.store().written).toBe(3000);
    expect(sender.sentBytes).toBe(4000);
    expect(sender.filesConfirmed).toBe(3);
  });

  it('gives up with a clear error when the file keeps failing, and keeps nothing of it', async () => {
    const files = [randomFile('photo.jpg', 300_000)];
    const run = wire(files, { tamper: flipByte(Infinity).tamper });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.outcomes).toEqual(['failed']);
    expect(receiver.error).toMatch(/photo\.jpg failed verification/);
    expect(receiver.failure).toEqual({ code: 'integrity', file: 'photo.jpg' });
    expect(run.store().verified[0]).toBeNull();
    expect(run.store().ranges(0)).toEqual([]);
    expect(sender.state).toBe('error');
  });
});

describe('authentication', () => {
  it('refuses a receiver with the wrong secret and tells it nothing about the files', async () => {
    const run = wire([randomFile('secret-plans.pdf', 10)], { receiverSecret: newSecret() });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.files).toEqual([]);
    expect(sender.state).toBe('error');
    expect(sender.error).toMatch(/secret/);
  });

  it('refuses a "sender" that holds the link but not the sender’s key, before telling it anything', async () => {
    // Another receiver, say, that took the sender's id on the broker: it knows the
    // secret and signs with a key of its own.
    const keys = newLinkKeys();
    const impostor = { ...keys, ...newSenderKeys() };
    const run = wire([randomFile('a', 10)], { keys: impostor, receiverSenderKey: keys.senderKey, receiverKey: newReceiverKey() });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.disconnected).toBe(false);
    expect(receiver.error).toMatch(/^Someone other than the sender answered this link/);
    expect(receiver.failure).toEqual({ code: 'impostor' });
    expect(failureText(receiver.failure!)(ru)).toBe(ru.errors.impostor);
    // It never learned the receiver's name, and never got a request.
    expect(sender.receiverKey).toBeNull();
    expect(sender.state).toBe('error');
  });

  it('refuses a receiver that signs with the sender’s key instead of proving the secret', async () => {
    // A receiver's proof is an HMAC of the secret; a signature from some key is not one.
    const [senderChannel, receiverChannel] = channelPair();
    const keys = newLinkKeys();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 262144, fingerprints: senderPrints, ...keys, files: [randomFile('a', 10)], onchange });
    void sender.start();
    const other = newSenderKeys();
    const hello = { type: 'hello' as const, version: PROTOCOL_VERSION, proof: proveSender(other.signingKey, receiverPrints) };
    for (const frame of encodeControl(hello, 262144)) receiverChannel.send(frame);
    expect((await ended).error).toMatch(/secret/);
  });

  it('refuses a sender proof replayed from another connection', async () => {
    // The real sender's signature, made for a connection with other fingerprints.
    const keys = newLinkKeys();
    const { senderChannel, ended } = waitingReceiver(keys);
    const replayed = proveSender(keys.signingKey, { local: SENDER_PRINT, remote: 'sha-256 99:99:99' });
    for (const frame of encodeControl({ type: 'hello', version: PROTOCOL_VERSION, proof: replayed }, 262144)) senderChannel.send(frame);
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.files).toEqual([]);
  });

  it('refuses a sender of another protocol version, saying so rather than redialling', async () => {
    const keys = newLinkKeys();
    const { senderChannel, ended } = waitingReceiver(keys);
    const proof = proveSender(keys.signingKey, senderPrints);
    for (const frame of encodeControl({ type: 'hello', version: PROTOCOL_VERSION - 1, proof }, 262144)) senderChannel.send(frame);
    const snapshot = await ended;
    expect(snapshot.failure).toEqual({ code: 'other-version', theirs: PROTOCOL_VERSION - 1, ours: PROTOCOL_VERSION });
    expect(snapshot.disconnected).toBe(false);
    expect(failureText(snapshot.failure!)(ru)).toBe(ru.errors.otherVersion);
  });

  it('detects a swapped DTLS endpoint (the proofs are bound to the fingerprints)', async () => {
    const run = wire([randomFile('a', 10)], { receiverFingerprints: { local: 'sha-256 EE:EE', remote: 'sha-256 AA:BB:CC' } });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.files).toEqual([]);
    expect(sender.state).toBe('error');
  });
});

describe('what the receiver tells about itself', () => {
  it('nothing at all until the sender has proved the secret', async () => {
    const [senderChannel, receiverChannel] = channelPair();
    const [onchange, ended] = settle<ReceiverSnapshot>();
    const heard: Message[] = [];
    const decoder = new FrameDecoder();
    senderChannel.addEventListener('message', (event) => heard.push(decoder.decode((event as Event & { data: ArrayBuffer }).data)!));
    const receiver = new ReceiverSession({
      channel: receiverChannel,
      maxMessageSize: 262144,
      fingerprints: receiverPrints,
      ...newLinkKeys(),
      receiverKey: newReceiverKey(),
      openStore: async (files) => memoryStore(files),
      onchange,
    });
    void receiver.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
    // A hello from someone who is not the sender: the receiver hangs up, still unnamed.
    const impostor = proveSender(newSenderKeys().signingKey, senderPrints);
    for (const frame of encodeControl({ type: 'hello', version: PROTOCOL_VERSION, proof: impostor }, 262144)) senderChannel.send(frame);
    expect((await ended).state).toBe('error');
    await expect.poll(() => heard.map((message) => message.type)).toEqual(['error']);
  });

  it('a key the sender knows it by again on every connection, whose private half never leaves it', async () => {
    const keys = newLinkKeys();
    const own = newReceiverKey();
    const names = [];
    const crossed: string[] = [];
    const tamper = (frame: Uint8Array) => (crossed.push(new TextDecoder().decode(frame)), frame);
    for (const receiverKey of [own, own, newReceiverKey()]) {
      const { sender, receiver } = await wire([randomFile('a', 10)], { keys, receiverKey, tamper, ...connectionPrints() }).settled;
      expect(receiver.state).toBe('done');
      names.push(sender.receiverKey);
    }
    expect(names[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(names[1]).toBe(names[0]);
    expect(names[2]).not.toBe(names[0]);
    expect(crossed.some((frame) => frame.includes(own))).toBe(false);
  });

  it('without a key, no name at all: the sender takes it for someone new every time', async () => {
    const { sender, receiver } = await wire([randomFile('a', 10)]).settled;
    expect(receiver.state).toBe('done');
    expect(sender.receiverKey).toBeNull();
  });
});

/** A peer the test drives frame by frame, after a correct hello. */
/** A receiver started on a channel whose other end the test speaks for the sender. */
function waitingReceiver(keys: LinkKeys) {
  const [onchange, ended] = settle<ReceiverSnapshot>();
  const [senderChannel, receiverChannel] = channelPair();
  const receiver = new ReceiverSession({
    channel: receiverChannel,
    maxMessageSize: 262144,
    fingerprints: receiverPrints,
    ...keys,
    openStore: async (files) => memoryStore(files),
    onchange,
  });
  void receiver.start();
  return { senderChannel, ended };
}

async function rawPeer(channel: FakeChannel, keys: LinkKeys, role: 'sender' | 'receiver') {
  const received: Message[] = [];
  const decoder = new FrameDecoder();
  channel.addEventListener('message', (event) => {
    const message = decoder.decode((event as Event & { data: ArrayBuffer }).data);
    if (message) received.push(message);
  });
  const send = (message: ControlMessage) => encodeControl(message, channel.maxMessageSize).forEach((f) => channel.send(f));
  const proof = role === 'sender' ? proveSender(keys.signingKey, senderPrints) : await proveReceiver(keys.secret, receiverPrints);
  send({ type: 'hello', version: PROTOCOL_VERSION, proof });
  return { received, send };
}

function settle<T extends { state: string }>(): [(snapshot: T) => void, Promise<T>] {
  let resolve!: (snapshot: T) => void;
  const done = new Promise<T>((r) => (resolve = r));
  return [(s) => (s.state === 'done' || s.state === 'error') && resolve(s), done];
}

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

describe('words from a peer that has not proved the secret', () => {
  it('never reach the receiver’s screen', async () => {
    const { snapshot } = await hostileSetup({ type: 'error', message: 'Your files moved: open evil.example' });
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).not.toMatch(/evil/);
    // Nothing was proved, so it is a connection that failed, as if the peer had just hung up.
    expect(snapshot.disconnected).toBe(true);
  });

  it('never reach the sender’s screen', async () => {
    const [senderChannel, receiverChannel] = channelPair();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 262144, fingerprints: senderPrints, ...newLinkKeys(), files: [], onchange });
    void sender.start();
    for (const frame of encodeControl({ type: 'error', message: 'Your link leaked: open evil.example' }, 262144)) receiverChannel.send(frame);
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).not.toMatch(/evil/);
  });
});

async function hostileReceiver(files = [randomFile('a.bin', 1000)]) {
  const [senderChannel, receiverChannel] = channelPair();
  const keys = newLinkKeys();
  const [onchange, ended] = settle<SenderSnapshot>();
  const sender = new SenderSession({
    channel: senderChannel,
    maxMessageSize: senderChannel.maxMessageSize,
    fingerprints: senderPrints,
    ...keys,
    files,
    onchange,
  });
  void sender.start();
  const peer = await rawPeer(receiverChannel, keys, 'receiver');
  await expect.poll(() => peer.received.some((m) => m.type === 'manifest')).toBe(true);
  return { peer, ended, files, channel: receiverChannel };
}

function request(ranges: { file: number; start: number; end: number }[]): ControlMessage {
  return { type: 'request', ranges, stored: 0, total: 0 };
}

describe('a sender facing a hostile receiver', () => {
  it('refuses a request for a file that does not exist', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 9, start: 0, end: 1 }]));
    const snapshot = await ended;
    expect(snapshot.error).toMatch(/file 9, which does not exist/);
    await expect.poll(() => peer.received.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/does not exist/) });
  });

  it('refuses an offset past the end', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 0, start: 0, end: 1001 }]));
    expect((await ended).error).toMatch(/up to 1001, past its end/);
  });

  it('serves a range that starts mid-file and still announces the whole file’s hash', async () => {
    const { peer, files } = await hostileReceiver();
    peer.send(request([{ file: 0, start: 600, end: 1000 }]));
    await expect.poll(() => peer.received.at(-1)?.type).toBe('file-end');
    const chunks = peer.received.filter((m) => m.type === 'data');
    expect(chunks[0]).toMatchObject({ offset: 600 });
    expect(Buffer.concat(chunks.map((c) => c.payload))).toEqual(Buffer.from(files[0]!.bytes.subarray(600)));
    expect(peer.received.at(-1)).toEqual({ type: 'file-end', file: 0, sha256: sha256(files[0]!.bytes) });
  });

  it('names the receiver as the author of its error, so its words do not read as the sender’s own', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'error', message: 'This device has no room left for the transfer.' });
    const snapshot = await ended;
    expect(snapshot.error).toBe('The receiver stopped the transfer: This device has no room left for the transfer.');
    expect(snapshot.failure).toEqual({ code: 'peer-stopped', by: 'receiver', words: 'This device has no room left for the transfer.' });
    expect(failureText(snapshot.failure!)(en)).not.toBe(en.errors.storageFull);
  });

  it('rejects a message that only a sender sends', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'manifest', files: [] });
    expect((await ended).error).toMatch(/a receiver does not send manifest/);
  });
});

describe('several receivers of one share', () => {
  it('hash each file once and both receive it intact', async () => {
    const reads = { count: 0 };
    const bytes = new Uint8Array(2 * MiB).map((_, i) => i % 251);
    const file = memoryFile('shared.bin', bytes, reads);
    const first = wire([file]);
    await first.settled;
    const readsForOne = reads.count;
    const second = wire([file]);
    const { receiver } = await second.settled;
    expect(receiver.state).toBe('done');
    expect(sha256(second.store().bytes(0))).toBe(sha256(bytes));
    // The second pass read the file once to send it, never again to hash it.
    expect(reads.count - readsForOne).toBe(readsForOne);
  });
});

describe('a peer that negotiates a huge maxMessageSize (Firefox: about 1 GiB)', () => {
  it('still sends messages of at most 256 KiB', async () => {
    const files = [randomFile('a', 3 * MiB)];
    const run = wire(files, { maxMessageSize: 1024 * MiB });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.senderChannel.largestMessage).toBe(256 * 1024);
  });
});

describe('a connection negotiated for tiny messages (a session description rewritten on the way)', () => {
  it.each([13, 1024, MIN_MESSAGE_SIZE - 1, 0, Number.NaN])('of %s bytes: the receiver refuses to start, says why, sends nothing', async (size) => {
    const [, receiverChannel] = channelPair();
    const [onchange, ended] = settle<ReceiverSnapshot>();
    const receiver = new ReceiverSession({
      channel: receiverChannel,
      maxMessageSize: size,
      fingerprints: receiverPrints,
      ...newLinkKeys(),
      helloTimeoutMs: 50,
      openStore: async (files) => memoryStore(files),
      onchange,
    });
    void receiver.start();
    const snapshot = await ended;
    expect(snapshot.error).toBe(
      `The connection was set up for messages of only ${size} bytes, which no browser does: the Ferry server or the network may have tampered with it. Nothing was sent.`,
    );
    // Dialling again through the same broker would only meet the same.
    expect(snapshot.disconnected).toBe(false);
    expect(receiverChannel.messagesSent).toBe(0);
    expect(receiverChannel.readyState).not.toBe('open');
  });

  it('the sender refuses too', async () => {
    const [senderChannel] = channelPair();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 13, fingerprints: senderPrints, ...newLinkKeys(), files: [], onchange, helloTimeoutMs: 50 });
    void sender.start();
    expect((await ended).error).toMatch(/messages of only 13 bytes/);
    expect(senderChannel.messagesSent).toBe(0);
  });

  it('at exactly the floor a transfer works, its manifest in many parts', async () => {
    const files = Array.from({ length: 600 }, (_, i) => memoryFile(`folder/${i}.txt`, new TextEncoder().encode(String(i))));
    files.push(randomFile('big.bin', MiB / 2));
    const run = wire(files, { maxMessageSize: MIN_MESSAGE_SIZE });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.senderChannel.largestMessage).toBe(MIN_MESSAGE_SIZE);
  }, 20_000);
});

describe('before a peer has proved the secret', () => {
  it('it may not make us buffer more than a hello needs', async () => {
    const [senderChannel, receiverChannel] = channelPair();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 262144, fingerprints: senderPrints, ...newLinkKeys(), files: [], onchange });
    void sender.start();
    // A PART frame of 200 KiB, the start of a "hello" that never ends.
    const part = new Uint8Array(200 * 1024);
    part[0] = 0x7f;
    receiverChannel.send(part);
    expect((await ended).error).toMatch(/too large|more than it was asked for/);
  });

  it('it has a deadline', async () => {
    const [senderChannel] = channelPair();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 262144, fingerprints: senderPrints, ...newLinkKeys(), files: [], onchange, helloTimeoutMs: 50 });
    void sender.start();
    expect((await ended).error).toMatch(/did not prove .* in time/);
  });
});

describe('receipts', () => {
  it('a receipt for a file whose end was not sent yet is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('big.bin', 8 * MiB)]);
    peer.send(request([{ file: 0, start: 0, end: 8 * MiB }]));
    peer.send({ type: 'receipt', verified: [0], failed: [] });
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(/receipt for file 0, which was not sent/);
  });

  it('a receipt that names a file twice is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('a.txt', 10), randomFile('b.txt', 10)]);
    peer.send(request([{ file: 0, start: 0, end: 10 }, { file: 1, start: 0, end: 10 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    peer.send({ type: 'receipt', verified: [0], failed: [0] });
    expect((await ended).error).toMatch(/receipt for file 0, which was not sent/);
  });
});

describe('a receiver that says it is done', () => {
  it('without a byte sent is refused, and not counted as finished', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send({ type: 'done' });
    const snapshot = await ended;
    expect(snapshot.state).toBe('error');
    expect(snapshot.error).toMatch(/done before every file was sent and verified/);
  });

  it('having verified one file of two is refused', async () => {
    const { peer, ended } = await hostileReceiver([randomFile('a.txt', 10), randomFile('b.txt', 10)]);
    peer.send(request([{ file: 0, start: 0, end: 10 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    peer.send({ type: 'receipt', verified: [0], failed: [] });
    peer.send({ type: 'done' });
    expect((await ended).error).toMatch(/done before every file was sent and verified/);
  });

  it('with a file it found damaged is refused', async () => {
    const { peer, ended } = await hostileReceiver();
    peer.send(request([{ file: 0, start: 0, end: 1000 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'files' || m.type === 'file-end')).toBe(true);
    peer.send({ type: 'receipt', verified: [], failed: [0] });
    peer.send({ type: 'done' });
    expect((await ended).error).toMatch(/done before every file was sent and verified/);
  });

  it('after resuming, perhaps to a reloaded sender, is counted with the files it verified before', async () => {
    const files = [randomFile('notes.txt', 1000), randomFile('movie.mp4', 12 * MiB)];
    const delivery = new Delivery();
    const first = wire(files, { cutAfterBytes: 8 * MiB, bytesPerTick: 512 * 1024, delivery });
    expect((await first.settled).receiver.state).toBe('error');
    expect(delivery.verified).toEqual([0]);
    // What it verified, as the share saved it; the second connection sends only the rest.
    const { sender, receiver } = await wire(files, { store: first.store(), delivery: new Delivery(delivery.verified) }).settled;
    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
  });
});

describe('small files', () => {
  it('go whole, several to a frame, each with its hash and no file-end, and one receipt confirms them all', async () => {
    const files = [randomFile('a.txt', 100), randomFile('empty', 0), randomFile('c.txt', 3000)];
    const { peer, ended } = await hostileReceiver(files);
    peer.send(request(files.map((file, i) => ({ file: i, start: 0, end: file.size }))));
    await expect.poll(() => peer.received.some((m) => m.type === 'files')).toBe(true);
    const sent = peer.received.filter((m) => m.type === 'files' || m.type === 'data' || m.type === 'file-end');
    expect(sent).toEqual([{ type: 'files', files: files.map((file, i) => ({ file: i, sha256: sha256(file.bytes), payload: new Uint8Array(file.bytes) })) }]);
    peer.send({ type: 'receipt', verified: [0, 1, 2], failed: [] });
    peer.send({ type: 'done' });
    const snapshot = await ended;
    expect(snapshot.state).toBe('done');
    expect(snapshot.filesConfirmed).toBe(3);
  });

  it('part of a small file still goes as data, followed by its file-end', async () => {
    const { peer, files } = await hostileReceiver([randomFile('a.txt', 1000)]);
    peer.send(request([{ file: 0, start: 10, end: 1000 }]));
    await expect.poll(() => peer.received.some((m) => m.type === 'file-end')).toBe(true);
    expect(peer.received.some((m) => m.type === 'files')).toBe(false);
    expect(peer.received.at(-1)).toEqual({ type: 'file-end', file: 0, sha256: sha256(files[0]!.bytes) });
  });

  it('fill frames no larger than the link allows, whatever their number', async () => {
    const maxMessageSize = MIN_MESSAGE_SIZE;
    const files = Array.from({ length: 300 }, (_, i) => randomFile(`${i}.bin`, 1 + ((i * 97) % 4000)));
    const run = wire(files, { maxMessageSize });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    files.forEach((file, i) => expect(sha256(run.store().bytes(i))).toBe(sha256(file.bytes)));
    expect(run.senderChannel.largestMessage).toBeLessThanOrEqual(maxMessageSize);
    // Several files to a frame: far fewer messages than files.
    expect(run.senderChannel.messagesSent).toBeLessThan(files.length / 2);
  });
});

describe('one receiver leaving', () => {
  it('does not break another receiver waiting for the same file’s hash', async () => {
    const bytes = new Uint8Array(9 * MiB).map((_, i) => i % 253);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Reads wait at a gate, so both callers are waiting on the one shared read.
    const file = { ...memoryFile('shared.bin', bytes), read: async (s: number, e: number) => (await gate, bytes.slice(s, e)) };
    const hashes = new FileHashes();
    const leaving = new AbortController();
    const first = hashes.of(file, leaving.signal);
    const second = hashes.of(file, new AbortController().signal);
    leaving.abort(new Error('receiver A left'));
    release();
    await expect(first).rejects.toThrow('receiver A left');
    await expect(second).resolves.toBe(sha256(bytes));
  });
});

describe('resuming', () => {
  it('after a dropped connection asks only for what is missing and wastes at most a window', async () => {
    const file = randomFile('movie.mp4', 20 * MiB);
    const first = wire([file], { cutAfterBytes: 10 * MiB, bytesPerTick: 512 * 1024 });
    const cut = await first.settled;
    expect(cut.receiver.state).toBe('error');
    const store = first.store();
    const kept = store.ranges(0);
    expect(kept.length).toBe(1);
    expect(kept[0]![1]).toBeGreaterThan(5 * MiB);

    const second = wire([file], { store });
    const requests: ControlMessage[] = [];
    const decoder = new FrameDecoder();
    second.receiverChannel.peer.addEventListener('message', (event) => {
      const message = decoder.decode((event as Event & { data: ArrayBuffer }).data);
      if (message?.type === 'request') requests.push(message);
    });
    const { sender, receiver } = await second.settled;
    expect(receiver.state).toBe('done');
    expect(receiver.resumedAt).toBeCloseTo(kept[0]![1] / file.size, 5);
    // The first request picks up exactly where the stored bytes end.
    expect(requests[0]).toMatchObject({ ranges: [{ file: 0, start: kept[0]![1] }] });
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
    const sent = cut.sender.sentBytes + sender.sentBytes;
    expect(sent).toBeLessThanOrEqual(file.size + 4 * MiB);
  });

  it('fills the gaps of a store with holes and verifies the file by reading it back', async () => {
    const file = randomFile('holes.bin', 3 * MiB);
    const store = memoryStore([file]);
    await store.write(0, 0, file.bytes.slice(0, MiB));
    await store.write(0, 2 * MiB, file.bytes.slice(2 * MiB, 2.5 * MiB));
    const run = wire([file], { store });
    const { sender, receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(sender.sentBytes).toBe(1.5 * MiB);
    expect(run.receiverSnapshots.some((snapshot) => snapshot.state === 'verifying')).toBe(true);
    expect(sha256(store.bytes(0))).toBe(sha256(file.bytes));
  });

  it('does not fetch a verified file again', async () => {
    const files = [randomFile('a', MiB), randomFile('b', MiB)];
    const store = memoryStore(files);
    await store.write(0, 0, files[0]!.bytes);
    await store.settle(0, sha256(files[0]!.bytes));
    const run = wire(files, { store });
    const { sender, receiver } = await run.settled;
    expect(receiver.outcomes).toEqual(['verified', 'verified']);
    expect(sender.sentBytes).toBe(MiB);
  });
});

describe('storage', () => {
  it('running out of room stops with a clear error and keeps what was stored', async () => {
    const file = randomFile('huge.iso', 8 * MiB);
    const store = memoryStore([file]);
    store.capacity = 5 * MiB;
    const run = wire([file], { store });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.failure).toEqual({ code: 'storage-full' });
    expect(receiver.error).toMatch(/no room left/);
    expect(store.ranges(0)[0]![1]).toBeGreaterThan(4 * MiB);
    expect(sender.state).toBe('error');
    expect(sender.failure).toMatchObject({ code: 'peer-stopped', by: 'receiver' });
    expect(sender.error).toMatch(/no room left/);
  });

  it('is not done until the store has committed everything, and says so when it cannot', async () => {
    const file = randomFile('last-batch.bin', 3 * MiB);
    const store = memoryStore([file]);
    store.failOnFlush = new StorageFullError('no room left to store the transfer');
    const run = wire([file], { store });
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('error');
    expect(receiver.error).toMatch(/no room left/);
    expect(run.receiverSnapshots.some((snapshot) => snapshot.state === 'done')).toBe(false);
    expect(sender.state).toBe('error');
  });

  it('a slow store holds the sender back to one window ahead', async () => {
    const file = randomFile('slow.bin', 12 * MiB);
    const store = memoryStore([file]);
    const write = store.write.bind(store);
    let ahead = 0;
    const run = wire([file], { store, window: 2 * MiB });
    store.write = async (f, offset, bytes) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      // Just before a write lands the store is furthest behind: measured here, not by a timer's sampling.
      ahead = Math.max(ahead, run.sender.snapshot.sentBytes - store.written);
      await write(f, offset, bytes);
    };
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(ahead).toBeGreaterThan(0);
    expect(ahead).toBeLessThanOrEqual(2 * MiB);
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

/** A "sender" that sends `message` (by default an empty manifest) without a hello first. */
async function hostileSetup(message: ControlMessage = { type: 'manifest', files: [] }) {
  const [senderChannel, receiverChannel] = channelPair();
  const [onchange, ended] = settle<ReceiverSnapshot>();
  const receiver = new ReceiverSession({
    channel: receiverChannel,
    maxMessageSize: 262144,
    fingerprints: receiverPrints,
    ...newLinkKeys(),
    openStore: async (files) => memoryStore(files),
    onchange,
  });
  void receiver.start();
  for (const frame of encodeControl(message, 262144)) senderChannel.send(frame);
  return { snapshot: await ended };
}
