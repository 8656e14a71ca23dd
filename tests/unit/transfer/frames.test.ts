import { describe, expect, it } from 'vitest';
import {
  allocateDataFrame,
  allocateFilesFrame,
  BLOCK_HEADER_BYTES,
  DATA_HEADER_BYTES,
  encodeBlock,
  encodeControl,
  FrameDecoder,
  MAX_CONTROL_BYTES,
  MAX_PROOF_HASHES,
  MAX_UNAUTHENTICATED_BYTES,
  MIN_MESSAGE_SIZE,
} from '../../../app/src/transfer/frames.ts';
import type { ControlMessage } from '../../../app/src/transfer/messages.ts';

const MAX = 262144;

function roundTrip(message: ControlMessage, max = MAX) {
  const decoder = new FrameDecoder();
  const results = encodeControl(message, max).map((frame) => decoder.decode(frame.buffer));
  return results.filter((result) => result !== null);
}

function frame(code: number, body: string | Uint8Array): ArrayBuffer {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(1 + bytes.length);
  out[0] = code;
  out.set(bytes, 1);
  return out.buffer;
}

describe('control frames', () => {
  const messages: ControlMessage[] = [
    { type: 'hello', version: 1, proof: 'abc_-' },
    { type: 'manifest', files: [{ name: 'docs/ä 📄.txt', size: 12, type: 'text/plain', lastModified: 5 }] },
    { type: 'hello', version: 1, proof: 'abc', key: 'tx_1-A', keyProof: 'sig_2-B' },
    { type: 'request', ranges: [{ file: 0, start: 0, end: 5 }, { file: 3, start: 2 ** 40, end: 2 ** 41 }], stored: 10, total: 99 },
    { type: 'done' },
    { type: 'manifest', files: [{ name: 'a.bin', size: 300_000, type: '', lastModified: 1, root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }] },
    { type: 'root', file: 2, root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    { type: 'file-end', file: 2 },
    { type: 'receipt', verified: [7, 9], failed: [] },
    { type: 'receipt', verified: [], failed: [3] },
    { type: 'error', message: 'nope' },
    // A later Ferry may take more lanes than this one: the wire allows up to 16.
    { type: 'manifest', files: [], lanes: 16 },
    { type: 'lane-offer', lane: 15, sdp: 'v=0\r\n' },
    { type: 'lane-answer', lane: 1, sdp: 'v=0\r\n' },
    { type: 'request', ranges: [{ file: 0, start: 0, end: 5 }], stored: 0, total: 5, lane: 3 },
  ];

  it.each(messages)('round-trips $type', (message) => {
    expect(roundTrip(message)).toEqual([message]);
  });

  it('refuses to cut messages finer than the smallest message size', () => {
    expect(() => encodeControl({ type: 'done' }, MIN_MESSAGE_SIZE - 1)).toThrowError(RangeError);
    expect(() => encodeControl({ type: 'done' }, Number.NaN)).toThrowError(RangeError);
    expect(encodeControl({ type: 'done' }, MIN_MESSAGE_SIZE)).toHaveLength(1);
  });

  it('splits a control message larger than one channel message and joins it again', () => {
    const files = Array.from({ length: 10_000 }, (_, i) => ({ name: `file-${i}.bin`, size: i, type: '', lastModified: i }));
    const frames = encodeControl({ type: 'manifest', files }, MAX);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(MAX);
    expect(roundTrip({ type: 'manifest', files })).toEqual([{ type: 'manifest', files }]);
  });
});

describe('data frames', () => {
  it('round-trips file index, a 53-bit offset and the payload', () => {
    const payload = new Uint8Array([1, 2, 3, 255]);
    const f = allocateDataFrame(70000, 2 ** 52 + 7, payload.length);
    f.set(payload, DATA_HEADER_BYTES);
    const message = new FrameDecoder().decode(f.buffer);
    expect(message).toEqual({ type: 'data', file: 70000, offset: 2 ** 52 + 7, payload });
  });

  it('refuses an empty payload: an empty file is sent as its file-end alone', () => {
    expect(() => new FrameDecoder().decode(allocateDataFrame(0, 0, 0).buffer)).toThrowError(/data frame without payload/);
  });
});

describe('files frames', () => {
  it('carry whole files with their hashes, empty ones too, and hand each its own view', () => {
    const { frame, payloads, hashes } = allocateFilesFrame([
      { file: 4, size: 3 },
      { file: 5, size: 0 },
      { file: 70000, size: 2 },
    ]);
    payloads[0]!.set([1, 2, 3]);
    payloads[2]!.set([9, 8]);
    hashes.forEach((hash, i) => hash.fill(i + 1));
    expect(frame.byteLength).toBe(3 + 3 * 40 + 5);
    expect(new FrameDecoder().decode(frame.buffer)).toEqual({
      type: 'files',
      files: [
        { file: 4, hash: new Uint8Array(32).fill(1), payload: new Uint8Array([1, 2, 3]) },
        { file: 5, hash: new Uint8Array(32).fill(2), payload: new Uint8Array([]) },
        { file: 70000, hash: new Uint8Array(32).fill(3), payload: new Uint8Array([9, 8]) },
      ],
    });
  });

  it('hold one file at least, and no more than their count can say', () => {
    expect(() => allocateFilesFrame([])).toThrowError(RangeError);
    expect(() => allocateFilesFrame(Array.from({ length: 0x10000 }, () => ({ file: 0, size: 0 })))).toThrowError(RangeError);
  });

  it('a files frame inside a fragmented control message', () => {
    const decoder = new FrameDecoder();
    expect(decoder.decode(frame(0x7f, '{"files":'))).toBeNull();
    expect(() => decoder.decode(allocateFilesFrame([{ file: 0, size: 1 }]).frame.buffer)).toThrowError(/inside a fragmented/);
  });
});

/** `count` distinct 32-byte hashes, each filled with its own byte from `first` on. */
function hashes(count: number, first = 1): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new Uint8Array(32).fill(first + i));
}

describe('block frames', () => {
  it.each([0, 1, 3, MAX_PROOF_HASHES])('round-trip a file, a block index, its hash and a proof of %i hashes', (count) => {
    const hash = new Uint8Array(32).map((_, i) => i);
    const proof = hashes(count, 100);
    const encoded = encodeBlock(70000, 2 ** 32 - 1, hash, proof);
    expect(encoded.byteLength).toBe(BLOCK_HEADER_BYTES + 32 * count);
    expect(new FrameDecoder().decode(encoded.buffer)).toEqual({ type: 'block', file: 70000, index: 2 ** 32 - 1, hash, proof });
  });

  it('decode from a view into a larger buffer, as well as from the buffer itself', () => {
    const encoded = encodeBlock(1, 2, new Uint8Array(32).fill(7), hashes(2));
    const padded = new Uint8Array(encoded.length + 9).fill(0xee);
    padded.set(encoded, 4);
    const view = new DataView(padded.buffer, 4, encoded.length);
    expect(new FrameDecoder().decode(view)).toEqual({ type: 'block', file: 1, index: 2, hash: new Uint8Array(32).fill(7), proof: hashes(2) });
  });

  it('refuse to encode hashes that are not 32 bytes, or a proof longer than any tree', () => {
    expect(() => encodeBlock(0, 0, new Uint8Array(31), [])).toThrowError(RangeError);
    expect(() => encodeBlock(0, 0, new Uint8Array(32), [new Uint8Array(33)])).toThrowError(RangeError);
    expect(() => encodeBlock(0, 0, new Uint8Array(32), hashes(MAX_PROOF_HASHES + 1))).toThrowError(RangeError);
  });

  it('a block frame inside a fragmented control message', () => {
    const decoder = new FrameDecoder();
    expect(decoder.decode(frame(0x7f, '{"files":'))).toBeNull();
    expect(() => decoder.decode(encodeBlock(0, 0, new Uint8Array(32), []).buffer)).toThrowError(/inside a fragmented/);
  });
});

/** A BLOCK frame whose count byte says `count` and that carries `carried` proof hashes' worth of bytes, plus `extra`. */
function blockFrame(count: number, carried: number, extra = 0): ArrayBuffer {
  const out = new Uint8Array(BLOCK_HEADER_BYTES + carried * 32 + extra);
  out[0] = 0x12;
  out[9] = count;
  return out.buffer;
}

/** A FILES frame listing files of `sizes` and carrying `carried` bytes after its header. */
function filesFrame(sizes: number[], carried: number): ArrayBuffer {
  const { frame } = allocateFilesFrame(sizes.map((size, file) => ({ file, size })));
  const header = frame.length - sizes.reduce((sum, size) => sum + size, 0);
  const out = new Uint8Array(header + carried);
  out.set(frame.subarray(0, Math.min(frame.length, out.length)));
  return out.buffer;
}

describe('malformed frames are rejected with a ProtocolError', () => {
  const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const cases: [string, unknown, RegExp][] = [
    ['a string', 'hello', /expected a binary frame/],
    ['an empty frame', new ArrayBuffer(0), /empty frame/],
    ['an unknown type', frame(0x42, '{}'), /unknown frame type 0x42/],
    ['a truncated data header', frame(0x10, new Uint8Array(5)), /shorter than its header/],
    ['JSON that is not JSON', frame(0x02, '{"files": ['), /not valid UTF-8 JSON/],
    ['invalid UTF-8', frame(0x06, new Uint8Array([0xff, 0xfe])), /not valid UTF-8 JSON/],
    ['a body that is a list', frame(0x06, '[]'), /must be an object/],
    ['a negative size', frame(0x02, '{"files":[{"name":"a","size":-1,"type":"","lastModified":0}]}'), /size must be a non-negative integer/],
    ['a fractional offset', frame(0x03, '{"ranges":[{"file":0,"start":1.5,"end":2}],"stored":0,"total":0}'), /start must be/],
    ['a range ending before it starts', frame(0x03, '{"ranges":[{"file":0,"start":5,"end":2}],"stored":0,"total":0}'), /must not end before it starts/],
    ['a receiver key with odd characters', frame(0x01, '{"version":1,"proof":"x","key":"a/b","keyProof":"c"}'), /key must be base64url/],
    ['a receiver key without its proof', frame(0x01, '{"version":1,"proof":"x","key":"ab"}'), /keyProof must be a string/],
    ['a proof of a receiver key without the key', frame(0x01, '{"version":1,"proof":"x","keyProof":"ab"}'), /key must be a string/],
    ['a name that is not a string', frame(0x02, '{"files":[{"name":7,"size":1,"type":"","lastModified":0}]}'), /name must be a string/],
    ['a root in upper case', frame(0x0b, `{"file":0,"root":"${sha.toUpperCase()}"}`), /root must be 64 lowercase hex/],
    ['a root one digit short', frame(0x0b, `{"file":0,"root":"${sha.slice(1)}"}`), /root must be 64 lowercase hex/],
    ['a root without its file', frame(0x0b, `{"root":"${sha}"}`), /file must be a non-negative integer/],
    ['a root of no file', frame(0x0b, `{"file":-1,"root":"${sha}"}`), /file must be a non-negative integer/],
    ['a manifest with a bad root', frame(0x02, `{"files":[{"name":"a","size":1,"type":"","lastModified":0,"root":"${sha.toUpperCase()}"}]}`), /root must be 64 lowercase hex/],
    ['a file-end without its file', frame(0x04, '{}'), /file must be a non-negative integer/],
    ['a block frame cut in its header', frame(0x12, new Uint8Array(BLOCK_HEADER_BYTES - 2)), /block frame shorter than its header/],
    ['a block frame cut in its proof', blockFrame(2, 1), /block frame not the size of its proof/],
    ['a block frame cut inside a proof hash', blockFrame(2, 1, 31), /block frame not the size of its proof/],
    ['a block frame with more proof than its count', blockFrame(1, 2), /block frame not the size of its proof/],
    ['a block frame with a byte past its proof', blockFrame(0, 0, 1), /block frame not the size of its proof/],
    ['a block frame counting more hashes than any tree has', blockFrame(MAX_PROOF_HASHES + 1, MAX_PROOF_HASHES + 1), /block proof of 41 hashes/],
    ['a block frame counting 255 hashes', blockFrame(255, 255), /block proof of 255 hashes/],
    ['a receipt without its failures', frame(0x05, '{"verified":[0]}'), /failed must be a list/],
    ['a receipt of a negative file', frame(0x05, '{"verified":[-1],"failed":[]}'), /verified must hold non-negative integers/],
    ['a truncated files header', frame(0x11, new Uint8Array([0])), /files frame shorter than its header/],
    ['a files frame of no files', frame(0x11, new Uint8Array([0, 0])), /files frame without files/],
    ['a files frame shorter than its entries', frame(0x11, new Uint8Array([0, 2, ...new Uint8Array(40)])), /shorter than its header/],
    ['a files frame shorter than its files', filesFrame([5], 4), /shorter than the files it lists/],
    ['a files frame longer than its files', filesFrame([5], 6), /longer than the files it lists/],
    ['a huge error', frame(0x06, JSON.stringify({ message: 'x'.repeat(5000) })), /message must be a string/],
    ['a manifest of no lanes', frame(0x02, '{"files":[],"lanes":0}'), /lanes must be from 1 to 16/],
    ['a manifest of more lanes than the wire allows', frame(0x02, '{"files":[],"lanes":17}'), /lanes must be from 1 to 16/],
    ['an offer of lane 0, the first connection', frame(0x0c, '{"lane":0,"sdp":"v=0"}'), /lane must be from 1 to 15/],
    ['an answer without its description', frame(0x0d, '{"lane":1}'), /sdp must be a string/],
    ['an offer whose description is too long', frame(0x0c, JSON.stringify({ lane: 1, sdp: 'a'.repeat(16 * 1024 + 1) })), /sdp must be a string of at most 16384/],
    ['a request on lane 16', frame(0x03, '{"ranges":[],"stored":0,"total":0,"lane":16}'), /lane must be from 0 to 15/],
  ];

  it.each(cases)('%s', (_, data, error) => {
    expect(() => new FrameDecoder().decode(data)).toThrowError(error);
    try {
      new FrameDecoder().decode(data);
    } catch (caught) {
      expect((caught as Error).name).toBe('ProtocolError');
    }
  });

  it('a data frame inside a fragmented control message', () => {
    const decoder = new FrameDecoder();
    expect(decoder.decode(frame(0x7f, '{"files":'))).toBeNull();
    expect(() => decoder.decode(allocateDataFrame(0, 0, 1).buffer)).toThrowError(/inside a fragmented/);
  });

  it('empty PART frames before the proof: the first is refused', () => {
    const decoder = new FrameDecoder();
    decoder.limit = MAX_UNAUTHENTICATED_BYTES;
    let accepted = 0;
    expect(() => {
      for (; accepted < 100_000; accepted++) decoder.decode(frame(0x7f, ''));
    }).toThrowError(/empty part frame/);
    expect(accepted).toBe(0);
  });

  it('PART frames before the proof: a hello always fits in one message, so none is kept', () => {
    const longest = { type: 'hello', version: 1, proof: 'x'.repeat(256), key: 'y'.repeat(64), keyProof: 'z'.repeat(128), device: 'é'.repeat(100) } as const;
    expect(encodeControl(longest, MIN_MESSAGE_SIZE)).toHaveLength(1);
    const decoder = new FrameDecoder();
    decoder.limit = MAX_UNAUTHENTICATED_BYTES;
    expect(() => decoder.decode(frame(0x7f, '{'))).toThrowError(/too many parts/);
  });

  it('one-byte PART frames after the proof: no more than the limit needs at the smallest message size', () => {
    const decoder = new FrameDecoder();
    const honestMost = Math.ceil(MAX_CONTROL_BYTES / (MIN_MESSAGE_SIZE - 1)) - 1;
    expect(honestMost).toBe(1024);
    for (let i = 0; i < honestMost; i++) expect(decoder.decode(frame(0x7f, ' '))).toBeNull();
    expect(() => decoder.decode(frame(0x7f, ' '))).toThrowError(/too many parts/);
  });

  it('a message as large as the limit, cut at the smallest message size, still passes', () => {
    const decoder = new FrameDecoder();
    const message: ControlMessage = { type: 'error', message: '' };
    // A body of exactly MAX_CONTROL_BYTES, in as many parts as any honest sender uses.
    const body = new Uint8Array(MAX_CONTROL_BYTES).fill(0x20);
    body.set(new TextEncoder().encode('{"message":""}'));
    const room = MIN_MESSAGE_SIZE - 1;
    let result = null;
    for (let start = 0; start < body.length; start += room) {
      const last = start + room >= body.length;
      result = decoder.decode(frame(last ? 0x06 : 0x7f, body.subarray(start, start + room)));
    }
    expect(result).toEqual(message);
  });

  it('fragments adding up to more than the control limit', () => {
    const decoder = new FrameDecoder();
    const part = frame(0x7f, new Uint8Array(MAX));
    expect(() => {
      for (let sent = 0; sent <= MAX_CONTROL_BYTES; sent += MAX) decoder.decode(part);
    }).toThrowError(/too large/);
  });
});
