/** In-memory files, sinks and a sender/receiver pair wired over a fake channel pair. */
import { createHash, randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { newSenderKeys, type Fingerprints, type SenderKeys } from '../../../app/src/transfer/auth.ts';
import { blockDigest, treeOfBytes } from '../../../app/src/transfer/block-tree.ts';
import type { Delivery } from '../../../app/src/transfer/delivery.ts';
import { FileTrees } from '../../../app/src/transfer/file-trees.ts';
import { DATA_HEADER_BYTES, FrameDecoder } from '../../../app/src/transfer/frames.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import type { LaneMaker } from '../../../app/src/transfer/channel.ts';
import type { ControlMessage, EndReason } from '../../../app/src/transfer/messages.ts';
import { ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { memoryStore, type MemoryStore } from './memory-store.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { SenderSession, type SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import type { ShareGate } from '../../../app/src/transfer/share-gate.ts';
import { channelPair, type FakeChannel, type PairOptions } from './fake-channel.ts';

/** What a share's link and its sender hold: the secret and the sender's key pair. */
export interface LinkKeys extends SenderKeys {
  secret: string;
}

export function newLinkKeys(): LinkKeys {
  return { secret: newSecret(), ...newSenderKeys() };
}

export const SENDER_PRINT = 'sha-256 AA:BB:CC';
export const RECEIVER_PRINT = 'sha-256 11:22:33';
export const senderPrints: Fingerprints = { local: SENDER_PRINT, remote: RECEIVER_PRINT };
export const receiverPrints: Fingerprints = { local: RECEIVER_PRINT, remote: SENDER_PRINT };

/** The fingerprints of a connection of its own, as each side sees them: no two calls give the same. */
export function connectionPrints(): { senderFingerprints: Fingerprints; receiverFingerprints: Fingerprints } {
  const [sender, receiver] = [randomPrint(), randomPrint()];
  return { senderFingerprints: { local: sender, remote: receiver }, receiverFingerprints: { local: receiver, remote: sender } };
}

function randomPrint(): string {
  return `sha-256 ${Array.from(randomBytes(32), (byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
}

export function memoryFile(name: string, bytes: Uint8Array, reads?: { count: number }): FileSource {
  return {
    name,
    size: bytes.length,
    type: 'application/octet-stream',
    lastModified: 1700000000000,
    read: async (start, end) => {
      if (reads) reads.count += 1;
      return bytes.slice(start, end);
    },
  };
}

/**
 * `file`, its reads past its first byte held until `release()`: what the sender sends
 * of it waits meanwhile, however fast or slow the machine.
 */
export function heldFile<T extends FileSource>(file: T): { source: T; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const source = { ...file, read: async (start: number, end: number) => (start > 0 && (await released), file.read(start, end)) };
  return { source, release };
}

export function randomFile(name: string, size: number): FileSource & { bytes: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(size));
  return Object.assign(memoryFile(name, bytes), { bytes });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The root of the block tree of `bytes` (block-tree.ts), in hex: what a file's pin and manifest entry hold. */
export async function rootOf(bytes: Uint8Array): Promise<string> {
  return bytesToHex((await treeOfBytes(blockDigest, bytes)).root);
}

/** A share's trees, already knowing those of `files`: its manifest announces their roots. */
export async function treesKnowing(...files: FileSource[]): Promise<FileTrees> {
  const trees = new FileTrees();
  await Promise.all(files.map((file) => trees.of(file)));
  return trees;
}

/**
 * A `tamper` (WireOptions) that flips a byte of the DATA frame carrying `offset` of a
 * file, the first `times` times one is sent: a block damaged on the way, `damaged()` times.
 */
export function damageData(offset: number, times = 1): { tamper: (frame: Uint8Array) => Uint8Array; damaged: () => number } {
  let damaged = 0;
  const tamper = (frame: Uint8Array) => {
    if (damaged >= times || frame[0] !== 0x10) return frame;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    if (view.getUint32(5) * 2 ** 32 + view.getUint32(9) !== offset) return frame;
    damaged += 1;
    const copy = frame.slice();
    copy[DATA_HEADER_BYTES]! ^= 0xff;
    return copy;
  };
  return { tamper, damaged: () => damaged };
}

/** Resolves when `predicate` holds for a snapshot the session reports. */
export function until<T>(subscribe: (listener: (snapshot: T) => void) => void, predicate: (snapshot: T) => boolean): Promise<T> {
  return new Promise((resolve) => subscribe((snapshot) => predicate(snapshot) && resolve(snapshot)));
}

export interface Wired {
  sender: SenderSession;
  receiver: ReceiverSession;
  senderChannel: FakeChannel;
  receiverChannel: FakeChannel;
  /** The receiver's store (made on the manifest unless one was passed in). */
  store: () => MemoryStore;
  senderSnapshots: SenderSnapshot[];
  receiverSnapshots: ReceiverSnapshot[];
  /** Calls `listener` with every receiver snapshot from now on (for until()). */
  watchReceiver: (listener: (snapshot: ReceiverSnapshot) => void) => void;
  /** Every request the receiver sent, in order, as the sender got it. */
  requests: Extract<ControlMessage, { type: 'request' }>[];
  /** Resolves with the final snapshots once both sides have stopped changing state. */
  settled: Promise<{ sender: SenderSnapshot; receiver: ReceiverSnapshot }>;
}

export interface WireOptions extends PairOptions {
  keys?: LinkKeys;
  receiverSecret?: string;
  /** The sender key the receiver's link names, when not the sender's own. */
  receiverSenderKey?: string;
  receiverFingerprints?: Fingerprints;
  /** The connection as the sender sees it (connectionPrints); the receiver's must mirror it. */
  senderFingerprints?: Fingerprints;
  autoDownload?: boolean;
  /** A store left by an earlier session: the receiver resumes from it. */
  store?: MemoryStore;
  window?: number;
  /** The receiver's private key for its transfer (auth.ts newReceiverKey); none: it names no key. */
  receiverKey?: string;
  /** How the receiver describes its device. */
  device?: string;
  /** How the sender describes its device. */
  senderDevice?: string;
  /** The share's password and approval gate. */
  gate?: ShareGate;
  /** How long the receiver waits for the manifest or asked-for data. */
  stallTimeoutMs?: number;
  /** Ends the sender after it has put this many payload bytes on the channel. */
  cutAfterBytes?: number;
  /** The sender's share's trees: the roots it knows go in its manifest. */
  trees?: FileTrees;
  /** The text the sender shares beside its files. */
  text?: string;
  /** The text a resumed receiver holds the sender to (ReceiverOptions.pinnedText). */
  pinnedText?: string | null;
  /** What the sender answers a proven receiver instead of the manifest (SenderOptions.ended). */
  ended?: () => EndReason | null;
  /** What the receiver was given on earlier connections (SenderOptions.delivery); none: this one's alone. */
  delivery?: Delivery;
  /** Lanes for the sender to answer and the receiver to offer (fake-lanes.ts); either side may lack them. */
  senderLanes?: LaneMaker;
  receiverLanes?: LaneMaker;
}

const terminal = new Set(['done', 'error', 'ended']);

export function wire(files: FileSource[], options: WireOptions = {}): Wired {
  const [senderChannel, receiverChannel] = channelPair(options);
  const keys = options.keys ?? newLinkKeys();
  let store: MemoryStore | undefined = options.store;
  const senderSnapshots: SenderSnapshot[] = [];
  const receiverSnapshots: ReceiverSnapshot[] = [];
  const receiverWatchers: ((snapshot: ReceiverSnapshot) => void)[] = [];
  let senderDone!: (s: SenderSnapshot) => void;
  let receiverDone!: (s: ReceiverSnapshot) => void;
  const senderEnd = new Promise<SenderSnapshot>((resolve) => (senderDone = resolve));
  const receiverEnd = new Promise<ReceiverSnapshot>((resolve) => (receiverDone = resolve));

  const sender = new SenderSession({
    channel: senderChannel,
    maxMessageSize: senderChannel.maxMessageSize,
    fingerprints: options.senderFingerprints ?? senderPrints,
    ...keys,
    files,
    text: options.text,
    trees: options.trees,
    gate: options.gate,
    ended: options.ended,
    ...(options.delivery && { delivery: () => options.delivery! }),
    device: options.senderDevice,
    lanes: options.senderLanes,
    onchange: (snapshot) => {
      senderSnapshots.push(snapshot);
      if (terminal.has(snapshot.state)) senderDone(snapshot);
    },
  });
  const receiver = new ReceiverSession({
    channel: receiverChannel,
    maxMessageSize: receiverChannel.maxMessageSize,
    fingerprints: options.receiverFingerprints ?? receiverPrints,
    secret: options.receiverSecret ?? keys.secret,
    senderKey: options.receiverSenderKey ?? keys.senderKey,
    window: options.window,
    receiverKey: options.receiverKey,
    device: options.device,
    stallTimeoutMs: options.stallTimeoutMs,
    openStore: async (files) => (store ??= memoryStore(files)),
    pinnedText: options.pinnedText,
    lanes: options.receiverLanes,
    onchange: (snapshot) => {
      receiverSnapshots.push(snapshot);
      for (const watcher of receiverWatchers) watcher(snapshot);
      if (snapshot.state === 'waiting' && options.autoDownload !== false) void receiver.download();
      if (terminal.has(snapshot.state)) receiverDone(snapshot);
    },
  });
  if (options.cutAfterBytes !== undefined) {
    const limit = options.cutAfterBytes;
    const send = senderChannel.send.bind(senderChannel);
    let payload = 0;
    senderChannel.send = (frame) => {
      send(frame);
      if (frame[0] === 0x10) payload += frame.length - 13;
      if (payload >= limit) senderChannel.drop();
    };
  }
  // Read beside the sender, with a decoder of its own: what the receiver asked for, exactly as sent.
  const requests: Wired['requests'] = [];
  const decoder = new FrameDecoder();
  senderChannel.addEventListener('message', (event) => {
    try {
      const message = decoder.decode((event as Event & { data: ArrayBuffer }).data);
      if (message?.type === 'request') requests.push(message);
    } catch {
      // A frame a test garbled on purpose: the sender's own decoder is the one that answers for it.
    }
  });
  void sender.start();
  void receiver.start();
  const settled = Promise.all([senderEnd, receiverEnd]).then(([s, r]) => ({ sender: s, receiver: r }));
  const watchReceiver = (listener: (snapshot: ReceiverSnapshot) => void) => void receiverWatchers.push(listener);
  return { sender, receiver, senderChannel, receiverChannel, store: () => store!, senderSnapshots, receiverSnapshots, watchReceiver, requests, settled };
}
