/**
 * Binary frames on the data channel. Each channel message is one frame:
 *
 *   DATA     [0x10][file u32][offset high u32][offset low u32][payload…]
 *   FILES    [0x11][count u16] count × [file u32][size u32][SHA-256, 32 bytes]
 *            then the files' bytes, one after another
 *   BLOCK    [0x12][file u32][index u32][proof count u8][block SHA-256, 32 bytes]
 *            [proof: count × 32 bytes]
 *   control  [type][UTF-8 JSON body]
 *   PART     [0x7f][a slice of a control frame's JSON body]
 *
 * A file of at most one block that fits in one message, with room to spare, goes whole
 * in a FILES frame with its hash, beside others as small: 10,000 files of 1 KiB are
 * about forty messages instead of a DATA frame and a file-end each. Larger files go a
 * block at a time, a BLOCK frame (the block's hash and proof, block-tree.ts) and then
 * DATA frames with its bytes, and end with a file-end.
 *
 * A control message longer than one channel message (a manifest of 10,000 files is
 * about a megabyte) is sent as PART frames followed by the typed frame carrying the
 * last slice; the decoder joins them. All integers are big-endian.
 */
import { ProtocolError } from './errors.ts';
import { parseControl, type ControlMessage, type Message, type WholeFile } from './messages.ts';

export const DATA_HEADER_BYTES = 13;
export const FILES_HEADER_BYTES = 3;
/** What each file adds to a FILES frame's header: its index, its size and its hash. */
export const FILES_ENTRY_BYTES = 40;
const SHA256_BYTES = 32;
export const BLOCK_HEADER_BYTES = 10 + SHA256_BYTES;
/**
 * A proof has one hash per level of the tree: 40 levels are 2^40 blocks of 256 KiB,
 * far past any file, and the count is a u8 on the wire.
 */
export const MAX_PROOF_HASHES = 40;
/** A FILES frame's count is a u16. */
export const MAX_FILES_PER_FRAME = 0xffff;

const DATA = 0x10;
const FILES = 0x11;
const BLOCK = 0x12;
const PART = 0x7f;
const CONTROL_CODES = {
  hello: 0x01,
  manifest: 0x02,
  request: 0x03,
  'file-end': 0x04,
  root: 0x0b,
  receipt: 0x05,
  error: 0x06,
  done: 0x07,
  gate: 0x08,
  password: 0x09,
  ended: 0x0a,
  'lane-offer': 0x0c,
  'lane-answer': 0x0d,
} as const satisfies Record<ControlMessage['type'], number>;
const CONTROL_TYPES = new Map<number, ControlMessage['type']>(
  Object.entries(CONTROL_CODES).map(([type, code]) => [code, type as ControlMessage['type']]),
);

/** A reassembled control message may not exceed this; bounds what a peer can make us buffer. */
export const MAX_CONTROL_BYTES = 16 * 1024 * 1024;
/** Before a peer has proved the secret it gets no more than a hello needs. */
export const MAX_UNAUTHENTICATED_BYTES = 4096;
/**
 * The smallest channel message a link works with (PeerLink refuses to start below it).
 * Every WebRTC browser has always carried 16 KiB messages: it was the size they could
 * exchange before max-message-size was negotiated at all. A smaller size comes from a
 * session description rewritten on the way, or a broken peer. It also bounds splitting:
 * an honest PART frame carries at least MIN_MESSAGE_SIZE - 1 bytes of its message.
 */
export const MIN_MESSAGE_SIZE = 16 * 1024;
const TWO_32 = 2 ** 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Allocates a DATA frame with room for `payloadBytes`, header filled in. The caller
 * writes the payload at DATA_HEADER_BYTES, so file bytes are copied exactly once.
 */
export function allocateDataFrame(file: number, offset: number, payloadBytes: number): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(DATA_HEADER_BYTES + payloadBytes);
  const view = new DataView(frame.buffer);
  view.setUint8(0, DATA);
  view.setUint32(1, file);
  view.setUint32(5, Math.floor(offset / TWO_32));
  view.setUint32(9, offset % TWO_32);
  return frame;
}

/** A BLOCK frame: block `index` of `file` has the SHA-256 `hash`, by `proof`. */
export function encodeBlock(file: number, index: number, hash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (hash.length !== SHA256_BYTES || proof.some((sibling) => sibling.length !== SHA256_BYTES)) throw new RangeError('a hash is 32 bytes');
  if (proof.length > MAX_PROOF_HASHES) throw new RangeError(`a proof has at most ${MAX_PROOF_HASHES} hashes`);
  const frame = new Uint8Array(BLOCK_HEADER_BYTES + proof.length * SHA256_BYTES);
  const view = new DataView(frame.buffer);
  view.setUint8(0, BLOCK);
  view.setUint32(1, file);
  view.setUint32(5, index);
  view.setUint8(9, proof.length);
  frame.set(hash, 10);
  proof.forEach((sibling, at) => frame.set(sibling, BLOCK_HEADER_BYTES + at * SHA256_BYTES));
  return frame;
}

/** A FILES frame being filled: views of where each file's bytes and hash go. */
export interface FilesFrame {
  frame: Uint8Array<ArrayBuffer>;
  payloads: Uint8Array[];
  hashes: Uint8Array[];
}

/** The size of a FILES frame carrying files of these sizes. */
export function filesFrameBytes(count: number, payloadBytes: number): number {
  return FILES_HEADER_BYTES + count * FILES_ENTRY_BYTES + payloadBytes;
}

/**
 * Allocates a FILES frame for whole files, header filled in but for the hashes: the
 * caller reads each file into its payload view and writes its SHA-256 into its hash
 * view, so file bytes are copied exactly once.
 */
export function allocateFilesFrame(files: readonly { file: number; size: number }[]): FilesFrame {
  if (files.length === 0 || files.length > MAX_FILES_PER_FRAME) throw new RangeError(`a FILES frame carries 1 to ${MAX_FILES_PER_FRAME} files`);
  const payloadBytes = files.reduce((sum, { size }) => sum + size, 0);
  const frame = new Uint8Array(filesFrameBytes(files.length, payloadBytes));
  const view = new DataView(frame.buffer);
  view.setUint8(0, FILES);
  view.setUint16(1, files.length);
  const payloads: Uint8Array[] = [];
  const hashes: Uint8Array[] = [];
  let entry = FILES_HEADER_BYTES;
  let at = filesFrameBytes(files.length, 0);
  for (const { file, size } of files) {
    view.setUint32(entry, file);
    view.setUint32(entry + 4, size);
    hashes.push(frame.subarray(entry + 8, entry + FILES_ENTRY_BYTES));
    payloads.push(frame.subarray(at, at + size));
    entry += FILES_ENTRY_BYTES;
    at += size;
  }
  return { frame, payloads, hashes };
}

/** Encodes a control message as one frame, or as several when it exceeds `maxMessageSize`. */
export function encodeControl(message: ControlMessage, maxMessageSize: number): Uint8Array<ArrayBuffer>[] {
  const { type, ...body } = message;
  const json = encoder.encode(JSON.stringify(body));
  // The decoder counts on whole-message parts (see maxParts), so never cut finer.
  if (!(maxMessageSize >= MIN_MESSAGE_SIZE)) throw new RangeError(`maxMessageSize ${maxMessageSize} is too small`);
  const room = maxMessageSize - 1;
  const frames: Uint8Array<ArrayBuffer>[] = [];
  let start = 0;
  while (json.length - start > room) {
    frames.push(withCode(PART, json.subarray(start, start + room)));
    start += room;
  }
  frames.push(withCode(CONTROL_CODES[type], json.subarray(start)));
  return frames;
}

/**
 * The most PART frames an honest sender needs for a message of `limit` bytes: it cuts
 * at least MIN_MESSAGE_SIZE - 1 bytes into each, and the last slice goes in the typed
 * frame. None before the proof, 1024 after it.
 */
function maxParts(limit: number): number {
  return Math.ceil(limit / (MIN_MESSAGE_SIZE - 1)) - 1;
}

function withCode(code: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(1 + body.length);
  frame[0] = code;
  frame.set(body, 1);
  return frame;
}

function asBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ProtocolError(`expected a binary frame, got ${typeof data}`);
}

/**
 * Turns channel messages back into typed messages. Stateful only to join PART frames;
 * one decoder per channel.
 */
export class FrameDecoder {
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** How large a control message may be; raised once the peer is authenticated. */
  limit = MAX_CONTROL_BYTES;

  /** Returns the message, or null when the frame was a PART still waiting for its end. */
  decode(data: unknown): Message | null {
    const bytes = asBytes(data);
    if (bytes.length === 0) throw new ProtocolError('empty frame');
    const code = bytes[0]!;
    if (code === DATA) return this.#decodeData(bytes);
    if (code === FILES) return this.#decodeFiles(bytes);
    if (code === BLOCK) return this.#decodeBlock(bytes);
    if (code === PART) {
      // Each PART costs an array entry whatever its size, so bytes alone do not bound
      // what a peer can make us keep: empty parts, or more of them than the limit needs
      // at the smallest message size, are refused.
      if (bytes.length === 1) throw new ProtocolError('empty part frame');
      this.#addPart(bytes.subarray(1));
      if (this.#parts.length > maxParts(this.limit)) throw new ProtocolError('control message in too many parts');
      return null;
    }
    const type = CONTROL_TYPES.get(code);
    if (type === undefined) throw new ProtocolError(`unknown frame type 0x${code.toString(16).padStart(2, '0')}`);
    this.#addPart(bytes.subarray(1));
    const json = this.#take();
    let body: unknown;
    try {
      body = JSON.parse(decoder.decode(json));
    } catch {
      throw new ProtocolError(`${type} frame is not valid UTF-8 JSON`);
    }
    return parseControl(type, body);
  }

  #decodeData(bytes: Uint8Array): Message {
    if (this.#parts.length > 0) throw new ProtocolError('data frame inside a fragmented control message');
    if (bytes.length < DATA_HEADER_BYTES) throw new ProtocolError('data frame shorter than its header');
    // The sender never cuts an empty chunk (an empty file is its file-end alone), and an
    // empty one would only reset the receiver's stall watchdog for free.
    if (bytes.length === DATA_HEADER_BYTES) throw new ProtocolError('data frame without payload');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const high = view.getUint32(5);
    const offset = high * TWO_32 + view.getUint32(9);
    if (!Number.isSafeInteger(offset)) throw new ProtocolError('data frame offset out of range');
    return { type: 'data', file: view.getUint32(1), offset, payload: bytes.subarray(DATA_HEADER_BYTES) };
  }

  #decodeFiles(bytes: Uint8Array): Message {
    if (this.#parts.length > 0) throw new ProtocolError('files frame inside a fragmented control message');
    if (bytes.length < FILES_HEADER_BYTES) throw new ProtocolError('files frame shorter than its header');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint16(1);
    if (count === 0) throw new ProtocolError('files frame without files');
    let at = filesFrameBytes(count, 0);
    if (at > bytes.length) throw new ProtocolError('files frame shorter than its header');
    const files: WholeFile[] = [];
    for (let entry = FILES_HEADER_BYTES; entry < filesFrameBytes(count, 0); entry += FILES_ENTRY_BYTES) {
      const size = view.getUint32(entry + 4);
      if (size > bytes.length - at) throw new ProtocolError('files frame shorter than the files it lists');
      files.push({
        file: view.getUint32(entry),
        hash: bytes.subarray(entry + 8, entry + 8 + SHA256_BYTES),
        payload: bytes.subarray(at, at + size),
      });
      at += size;
    }
    if (at !== bytes.length) throw new ProtocolError('files frame longer than the files it lists');
    return { type: 'files', files };
  }

  #decodeBlock(bytes: Uint8Array): Message {
    if (this.#parts.length > 0) throw new ProtocolError('block frame inside a fragmented control message');
    if (bytes.length < BLOCK_HEADER_BYTES) throw new ProtocolError('block frame shorter than its header');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint8(9);
    if (count > MAX_PROOF_HASHES) throw new ProtocolError(`block proof of ${count} hashes`);
    if (bytes.length !== BLOCK_HEADER_BYTES + count * SHA256_BYTES) throw new ProtocolError('block frame not the size of its proof');
    const proof: Uint8Array[] = [];
    for (let at = 0; at < count; at++) proof.push(bytes.subarray(BLOCK_HEADER_BYTES + at * SHA256_BYTES, BLOCK_HEADER_BYTES + (at + 1) * SHA256_BYTES));
    return { type: 'block', file: view.getUint32(1), index: view.getUint32(5), hash: bytes.subarray(10, BLOCK_HEADER_BYTES), proof };
  }

  /** Adds one part of a control message, refusing a message grown past the limit. */
  #addPart(slice: Uint8Array): void {
    this.#partBytes += slice.length;
    if (this.#partBytes > this.limit) throw new ProtocolError('control message too large');
    // No copy: every channel message arrives in a fresh ArrayBuffer of its own.
    this.#parts.push(slice);
  }

  #take(): Uint8Array {
    const whole = new Uint8Array(this.#partBytes);
    let at = 0;
    for (const part of this.#parts) {
      whole.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    this.#partBytes = 0;
    return whole;
  }
}
