/**
 * The two contenders Ferry is measured against, as page code. The benchmark bundles
 * this file into one script and injects it into a blank page on Ferry's origin
 * (where the broker is), in both browsers:
 *
 * - the raw pump: one RTCDataChannel, 256 KiB messages, `bufferedamountlow` flow
 *   control and nothing else: no framing, no hashing, no storage. The ceiling.
 * - PeerJS as other tools use it: default (BinaryPack) serialization, the file in
 *   256 KiB chunks handed to `conn.send` as fast as they are read, no flow control
 *   but PeerJS's own.
 *
 * Receivers only count bytes. Times are epoch milliseconds, comparable across pages.
 * The bundle also carries the probe that times Ferry's own receive page.
 */
import Peer, { type DataConnection } from 'peerjs';

export { ferryProbe } from './ferry-probe.ts';

const CHUNK = 256 * 1024;
const RAW_HIGH_WATER = 4 * 1024 * 1024;
const RAW_LOW_WATER = 1024 * 1024;
/** The raw pump reads the file in blocks this size, one block ahead of the channel. */
const READ_BLOCK = 4 * 1024 * 1024;

export interface Arrival {
  /** When the first payload byte arrived. */
  firstAt: number;
  /** When the last one did. */
  lastAt: number;
  bytes: number;
}

const now = () => performance.timeOrigin + performance.now();

/** The file the benchmark picked through the page's file input. */
function pickedFile(): File {
  const file = document.querySelector<HTMLInputElement>('#bench-file')?.files?.[0];
  if (!file) throw new Error('no file picked');
  return file;
}

/** Counts payload until `total` bytes have arrived. */
function counter(total: number): { add(bytes: number): void; arrived: Promise<Arrival> } {
  let firstAt = 0;
  let bytes = 0;
  let resolve!: (arrival: Arrival) => void;
  const arrived = new Promise<Arrival>((settle) => (resolve = settle));
  return {
    arrived,
    add(count) {
      if (bytes === 0) firstAt = now();
      bytes += count;
      if (bytes >= total) resolve({ firstAt, lastAt: now(), bytes });
    },
  };
}

let arrived: Promise<Arrival> | null = null;

/** Receivers: resolves once the whole file has arrived. */
export function received(): Promise<Arrival> {
  if (!arrived) throw new Error('not receiving');
  return arrived;
}

// --- The raw pump -------------------------------------------------------------

let connection: RTCPeerConnection | null = null;
let rawChannel: RTCDataChannel | null = null;

async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) =>
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()),
    );
  }
  return JSON.stringify(pc.localDescription);
}

/** Sender: an offer with every candidate in it (the benchmark carries it across). */
export async function rawOffer(): Promise<string> {
  connection = new RTCPeerConnection({ iceServers: [] });
  rawChannel = connection.createDataChannel('bench', { ordered: true });
  rawChannel.binaryType = 'arraybuffer';
  await connection.setLocalDescription(await connection.createOffer());
  return gathered(connection);
}

/** Receiver: answers, and counts `total` bytes as they arrive. */
export async function rawAnswer(offer: string, total: number): Promise<string> {
  connection = new RTCPeerConnection({ iceServers: [] });
  const count = counter(total);
  arrived = count.arrived;
  connection.addEventListener('datachannel', ({ channel }) => {
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', (event) => count.add((event.data as ArrayBuffer).byteLength));
  });
  await connection.setRemoteDescription(JSON.parse(offer) as RTCSessionDescriptionInit);
  await connection.setLocalDescription(await connection.createAnswer());
  return gathered(connection);
}

/** Sender: takes the answer and waits for the channel to open. */
export async function rawAccept(answer: string): Promise<void> {
  await connection!.setRemoteDescription(JSON.parse(answer) as RTCSessionDescriptionInit);
  const channel = rawChannel!;
  if (channel.readyState !== 'open') await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
}

/** Sender: pumps the picked file through the channel. */
export async function rawSend(): Promise<void> {
  const file = pickedFile();
  const channel = rawChannel!;
  channel.bufferedAmountLowThreshold = RAW_LOW_WATER;
  const drained = () => new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
  const read = (offset: number) => file.slice(offset, Math.min(file.size, offset + READ_BLOCK)).arrayBuffer();
  let next = read(0);
  for (let offset = 0; offset < file.size; offset += READ_BLOCK) {
    const block = new Uint8Array(await next);
    if (offset + READ_BLOCK < file.size) next = read(offset + READ_BLOCK);
    for (let at = 0; at < block.length; at += CHUNK) {
      while (channel.bufferedAmount + CHUNK > RAW_HIGH_WATER) await drained();
      channel.send(block.subarray(at, at + CHUNK));
    }
  }
}

// --- PeerJS with its defaults -------------------------------------------------

function openPeer(): Promise<Peer> {
  const created = new Peer({
    host: location.hostname,
    port: Number(location.port) || 80,
    path: '/peerjs',
    key: 'peerjs',
    secure: location.protocol === 'https:',
    // Our own broker and host candidates only, as Ferry is measured.
    config: { iceServers: [] },
    debug: 1,
  });
  return new Promise((resolve, reject) => {
    created.once('open', () => resolve(created));
    created.once('error', reject);
  });
}

/** Sender: registers with the broker and sends the picked file to whoever connects. */
export async function peerjsListen(): Promise<string> {
  const sender = await openPeer();
  sender.on('connection', (conn: DataConnection) => {
    conn.on('open', async () => {
      const file = pickedFile();
      for (let offset = 0; offset < file.size; offset += CHUNK) {
        const bytes = await file.slice(offset, offset + CHUNK).arrayBuffer();
        conn.send({ offset, bytes });
      }
    });
  });
  return sender.id;
}

/** Receiver: connects to the sender and counts `total` bytes. */
export async function peerjsReceive(senderId: string, total: number): Promise<void> {
  const receiver = await openPeer();
  const count = counter(total);
  arrived = count.arrived;
  const conn = receiver.connect(senderId, { reliable: true });
  conn.on('data', (data) => count.add((data as { bytes: ArrayBuffer }).bytes.byteLength));
}
