/**
 * The raw pump over several lanes, for `npm run bench:rtt`: several data channels on
 * one peer connection, or several peer connections of one channel each. The lanes
 * together are the raw pump of contenders.ts (256 KiB messages, `bufferedamountlow`
 * flow control, the file read 4 MiB at a time), its high- and low-water marks shared
 * out among them, so they buffer no more in all than the one channel does. Each lane
 * takes the next chunk of the file whenever it has room, so a lane slowed by loss
 * takes less rather than holding a fixed share the others would wait for. (With the
 * whole high-water mark per lane, four lanes swallow a 16 MiB file at once: a fixed
 * split after all.) The receiver only counts bytes.
 *
 * Loaded into a page by page-module.ts, so it imports nothing at run time (types only).
 */
import type { Arrival } from './contenders.ts';

/** The raw pump's settings in contenders.ts: message, flow-control marks (for all lanes together), read size. */
const KiB = 1024;
const [CHUNK, HIGH_WATER, LOW_WATER, READ_BLOCK] = [256 * KiB, 4096 * KiB, 1024 * KiB, 4096 * KiB];

const now = () => performance.timeOrigin + performance.now();

let connections: RTCPeerConnection[] = [];
let channels: RTCDataChannel[] = [];
let arrival: Promise<Arrival> | null = null;

/** The local description once every candidate is in it (the benchmark carries it across). */
async function described(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) =>
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()),
    );
  }
  return JSON.stringify(pc.localDescription);
}

/** Sender: `connectionCount` connections of `channelsEach` channels; one offer per connection. */
export async function offer(connectionCount: number, channelsEach: number): Promise<string[]> {
  connections = Array.from({ length: connectionCount }, () => new RTCPeerConnection({ iceServers: [] }));
  channels = connections.flatMap((pc) =>
    Array.from({ length: channelsEach }, (_, i) => {
      const channel = pc.createDataChannel(`lane-${i}`, { ordered: true });
      channel.binaryType = 'arraybuffer';
      return channel;
    }),
  );
  return Promise.all(
    connections.map(async (pc) => {
      await pc.setLocalDescription(await pc.createOffer());
      return described(pc);
    }),
  );
}

/** Receiver: answers every offer and counts `total` bytes across all lanes. */
export async function answer(offers: string[], total: number): Promise<string[]> {
  let firstAt = 0;
  let bytes = 0;
  let resolve!: (arrived: Arrival) => void;
  arrival = new Promise((settle) => (resolve = settle));
  const count = (event: MessageEvent<ArrayBuffer>) => {
    if (bytes === 0) firstAt = now();
    bytes += event.data.byteLength;
    if (bytes >= total) resolve({ firstAt, lastAt: now(), bytes });
  };
  connections = offers.map(() => new RTCPeerConnection({ iceServers: [] }));
  return Promise.all(
    connections.map(async (pc, i) => {
      pc.addEventListener('datachannel', ({ channel }) => {
        channel.binaryType = 'arraybuffer';
        channel.addEventListener('message', count);
      });
      await pc.setRemoteDescription(JSON.parse(offers[i]!) as RTCSessionDescriptionInit);
      await pc.setLocalDescription(await pc.createAnswer());
      return described(pc);
    }),
  );
}

/** Sender: takes the answers and waits for every lane to open. */
export async function accept(answers: string[]): Promise<void> {
  await Promise.all(connections.map((pc, i) => pc.setRemoteDescription(JSON.parse(answers[i]!) as RTCSessionDescriptionInit)));
  await Promise.all(
    channels.map((channel) => channel.readyState === 'open' || new Promise((opened) => channel.addEventListener('open', opened, { once: true }))),
  );
}

/** Receiver: resolves once the whole file has arrived. */
export function received(): Promise<Arrival> {
  if (!arrival) throw new Error('not receiving');
  return arrival;
}

/** Sender: pumps the picked file through whichever lane has room; returns the bytes each lane carried. */
export async function send(): Promise<number[]> {
  const file = document.querySelector<HTMLInputElement>('#bench-file')?.files?.[0];
  if (!file) throw new Error('no file picked');
  const blocks = new Map<number, Promise<Uint8Array<ArrayBuffer>>>();
  const block = (index: number) => {
    let read = blocks.get(index);
    if (!read) {
      const start = index * READ_BLOCK;
      read = file.slice(start, Math.min(file.size, start + READ_BLOCK)).arrayBuffer().then((buffer) => new Uint8Array(buffer));
      blocks.set(index, read);
    }
    return read;
  };
  let next = 0;
  const carried = channels.map(() => 0);
  const [highWater, lowWater] = [HIGH_WATER / channels.length, LOW_WATER / channels.length];
  await Promise.all(
    channels.map(async (channel, lane) => {
      channel.bufferedAmountLowThreshold = lowWater;
      for (;;) {
        while (channel.bufferedAmount + CHUNK > highWater) {
          await new Promise((drained) => channel.addEventListener('bufferedamountlow', drained, { once: true }));
        }
        if (next >= file.size) return;
        // Taking the chunk and its block happens in one step, before any other lane runs.
        const offset = next;
        next += CHUNK;
        const index = Math.floor(offset / READ_BLOCK);
        const bytes = block(index);
        if (offset + CHUNK >= (index + 1) * READ_BLOCK) blocks.delete(index); // its last chunk is taken
        else if ((index + 1) * READ_BLOCK < file.size) void block(index + 1); // read one block ahead
        const at = offset - index * READ_BLOCK;
        const chunk = (await bytes).subarray(at, at + CHUNK);
        channel.send(chunk);
        carried[lane]! += chunk.length;
      }
    }),
  );
  return carried;
}
