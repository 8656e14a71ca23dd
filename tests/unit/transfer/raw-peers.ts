/** Peers the transfer core's unit tests speak for by hand, frame by frame: after a correct hello, or without one. */
import type { LaneMaker } from '../../../app/src/transfer/channel.ts';
import { expect } from 'vitest';
import { proveReceiver, proveSender } from '../../../app/src/transfer/auth.ts';
import { encodeControl, FrameDecoder } from '../../../app/src/transfer/frames.ts';
import { PROTOCOL_VERSION } from '../../../app/src/transfer/messages.ts';
import type { ControlMessage, Message } from '../../../app/src/transfer/messages.ts';
import { ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { SenderSession, type SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import { channelPair, type FakeChannel } from '../support/fake-channel.ts';
import { memoryStore } from '../support/memory-store.ts';
import { newLinkKeys, randomFile, receiverPrints, senderPrints, type LinkKeys } from '../support/transfer-harness.ts';

/** A peer the test drives frame by frame, after a correct hello. */
export async function rawPeer(channel: FakeChannel, keys: LinkKeys, role: 'sender' | 'receiver') {
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

export function settle<T extends { state: string }>(): [(snapshot: T) => void, Promise<T>] {
  let resolve!: (snapshot: T) => void;
  const done = new Promise<T>((r) => (resolve = r));
  return [(s) => (s.state === 'done' || s.state === 'error') && resolve(s), done];
}

export async function hostileReceiver(files = [randomFile('a.bin', 1000)], { lanes }: { lanes?: LaneMaker } = {}) {
  const [senderChannel, receiverChannel] = channelPair();
  const keys = newLinkKeys();
  const [onchange, ended] = settle<SenderSnapshot>();
  const sender = new SenderSession({
    channel: senderChannel,
    maxMessageSize: senderChannel.maxMessageSize,
    fingerprints: senderPrints,
    ...keys,
    files,
    lanes,
    onchange,
  });
  void sender.start();
  const peer = await rawPeer(receiverChannel, keys, 'receiver');
  await expect.poll(() => peer.received.some((m) => m.type === 'manifest')).toBe(true);
  return { peer, ended, files, channel: receiverChannel };
}

export function request(ranges: { file: number; start: number; end: number }[], lane?: number): ControlMessage {
  return { type: 'request', ranges, stored: 0, total: 0, ...(lane !== undefined && { lane }) };
}

/** A "sender" that sends `message` (by default an empty manifest) without a hello first. */
export async function hostileSetup(message: ControlMessage = { type: 'manifest', files: [] }) {
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
