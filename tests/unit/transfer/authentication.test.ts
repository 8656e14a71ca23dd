/** Who proves what before anything is told: the secret, the sender’s key, and what an unproven peer can make either side show or hold. */
import { describe, expect, it } from 'vitest';
import { newReceiverKey, newSenderKeys, proveSender } from '../../../app/src/transfer/auth.ts';
import { encodeControl, FrameDecoder } from '../../../app/src/transfer/frames.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import { PROTOCOL_VERSION } from '../../../app/src/transfer/messages.ts';
import type { Message } from '../../../app/src/transfer/messages.ts';
import { ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { SenderSession, type SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { failureText } from '../../../app/src/ui/i18n/errors.ts';
import { channelPair } from '../support/fake-channel.ts';
import { memoryStore } from '../support/memory-store.ts';
import { connectionPrints, newLinkKeys, randomFile, receiverPrints, SENDER_PRINT, senderPrints, wire, type LinkKeys } from '../support/transfer-harness.ts';
import { hostileSetup, settle } from './raw-peers.ts';

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
