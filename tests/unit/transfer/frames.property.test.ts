import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../app/src/transfer/errors.ts';
import {
  allocateDataFrame,
  allocateFilesFrame,
  BLOCK_HEADER_BYTES,
  DATA_HEADER_BYTES,
  encodeBlock,
  encodeControl,
  FrameDecoder,
  MAX_CONTROL_BYTES,
  MAX_UNAUTHENTICATED_BYTES,
  MIN_MESSAGE_SIZE,
} from '../../../app/src/transfer/frames.ts';
import { MESSAGE_CAP } from '../../../app/src/transfer/peer-link.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';
import { controlMessage, expectWellFormed, hello, index, MOST_PROOF_HASHES } from './protocol-arbitraries.ts';

const DATA = 0x10;
const FILES = 0x11;
const BLOCK = 0x12;
const PART = 0x7f;
const CODES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, DATA, FILES, BLOCK, PART, 0x00, 0xff];

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function framed(code: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(1 + body.length);
  frame[0] = code;
  frame.set(body, 1);
  return frame;
}

const maxMessageSize = fc.oneof(
  fc.constant(MIN_MESSAGE_SIZE),
  fc.integer({ min: MIN_MESSAGE_SIZE, max: MESSAGE_CAP }),
  fc.integer({ min: MIN_MESSAGE_SIZE, max: 2 ** 30 }),
);

/** One channel message as a broken or hostile peer might send it. */
const frameBytes: fc.Arbitrary<Uint8Array<ArrayBuffer>> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  // A type byte the decoder knows (or nearly), so the paths behind it are reached.
  fc.tuple(fc.constantFrom(...CODES), fc.uint8Array({ maxLength: 40 })).map(([code, body]) => framed(code, body)),
  fc.tuple(fc.constantFrom(...CODES), fc.jsonValue()).map(([code, value]) => framed(code, new TextEncoder().encode(JSON.stringify(value)))),
  // Real frames, one of possibly several: PART sequences that start, stop or interleave.
  fc.tuple(controlMessage, maxMessageSize, fc.nat()).map(([message, max, pick]) => {
    const frames = encodeControl(message, max);
    return frames[pick % frames.length]!;
  }),
  // DATA frames with offsets on both sides of 2^53, and short payloads or cut headers.
  fc
    .tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.oneof(fc.nat(2 ** 21), fc.nat({ max: 2 ** 32 - 1 })), fc.nat({ max: 2 ** 32 - 1 }), fc.integer({ min: -2, max: 8 }))
    .map(([file, high, low, payload]) => {
      const frame = new Uint8Array(DATA_HEADER_BYTES + Math.max(payload, 0));
      const view = new DataView(frame.buffer);
      view.setUint8(0, DATA);
      view.setUint32(1, file);
      view.setUint32(5, high);
      view.setUint32(9, low);
      return payload < 0 ? frame.slice(0, DATA_HEADER_BYTES + payload) : frame;
    }),
  // FILES frames whose counts and sizes may not match their length, either way.
  fc
    .tuple(fc.array(fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.oneof(fc.nat(64), fc.nat({ max: 2 ** 32 - 1 }))), { maxLength: 6 }), fc.integer({ min: -50, max: 50 }), fc.nat(8))
    .map(([files, extra, count]) => {
      const payload = files.reduce((sum, [, size]) => sum + Math.min(size, 64), 0);
      const frame = new Uint8Array(Math.max(0, 3 + 40 * files.length + payload + extra));
      const view = new DataView(frame.buffer);
      if (frame.length > 0) view.setUint8(0, FILES);
      if (frame.length >= 3) view.setUint16(1, count === 0 ? files.length : count);
      files.forEach(([file, size], i) => {
        if (3 + 40 * i + 8 > frame.length) return;
        view.setUint32(3 + 40 * i, file);
        view.setUint32(3 + 40 * i + 4, size);
      });
      return frame;
    }),
  // BLOCK frames whose proof count may not match their length, or be more than any tree has.
  fc
    .tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), fc.oneof(fc.nat(MOST_PROOF_HASHES + 2), fc.nat(255)), fc.nat(MOST_PROOF_HASHES + 2), fc.integer({ min: -50, max: 50 }))
    .map(([file, blockIndex, count, carried, extra]) => {
      const frame = new Uint8Array(Math.max(1, BLOCK_HEADER_BYTES + 32 * carried + extra));
      frame[0] = BLOCK;
      if (frame.length >= BLOCK_HEADER_BYTES) {
        const view = new DataView(frame.buffer);
        view.setUint32(1, file);
        view.setUint32(5, blockIndex);
        view.setUint8(9, count);
      }
      return frame;
    }),
  // Real BLOCK frames.
  fc
    .tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), hash32, fc.array(hash32, { maxLength: MOST_PROOF_HASHES }))
    .map(([file, blockIndex, hash, proof]) => encodeBlock(file, blockIndex, hash, proof)),
  // PART frames large enough to meet the byte limit.
  fc.integer({ min: 1, max: 20_000 }).map((length) => framed(PART, new Uint8Array(length - 1).fill(0x20))),
);

/** How the bytes reach the decoder: a channel gives ArrayBuffers, but any view must work too. */
const channelMessage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: frameBytes.map((bytes) => bytes.buffer) },
  { weight: 1, arbitrary: frameBytes },
  {
    weight: 1,
    arbitrary: fc.tuple(frameBytes, fc.nat(7)).map(([bytes, at]) => {
      const padded = new Uint8Array(at + bytes.length + 3).fill(0xee);
      padded.set(bytes, at);
      return new DataView(padded.buffer, at, bytes.length);
    }),
  },
  { weight: 1, arbitrary: fc.anything() },
);

const anyLimit = fc.oneof(fc.constantFrom(MAX_UNAUTHENTICATED_BYTES, MAX_CONTROL_BYTES), fc.nat(100_000));

function byteLength(data: unknown): number {
  return (data as ArrayBuffer | ArrayBufferView).byteLength;
}

describe('FrameDecoder, on whatever a peer sends', () => {
  it('returns a well-formed message or null, or throws a ProtocolError; keeps no more than its limit', () => {
    fc.assert(
      fc.property(anyLimit, fc.array(channelMessage, { maxLength: 30 }), (limit, messages) => {
        const decoder = new FrameDecoder();
        decoder.limit = limit;
        // What an honest sender needs at most, whatever its message size (frames.ts).
        const mostParts = Math.ceil(limit / (MIN_MESSAGE_SIZE - 1)) - 1;
        let kept = 0;
        let parts = 0;
        for (const data of messages) {
          let result;
          try {
            result = decoder.decode(data);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
            // A link ends at its first error; what the decoder does after one is moot.
            return;
          }
          if (result === null) {
            kept += byteLength(data) - 1;
            parts += 1;
            expect(kept).toBeLessThanOrEqual(limit);
            expect(parts).toBeLessThanOrEqual(mostParts);
            continue;
          }
          expectWellFormed(result);
          if (result.type !== 'data' && result.type !== 'files' && result.type !== 'block') expect(kept + byteLength(data) - 1).toBeLessThanOrEqual(limit);
          kept = 0;
          parts = 0;
        }
      }),
      { numRuns: fuzzRuns(400) },
    );
  }, fuzzTimeout);
});

describe('frames of valid messages', () => {
  it('decode to the message that was encoded, at any message size from the floor up', () => {
    fc.assert(
      fc.property(controlMessage, maxMessageSize, (message, max) => {
        const frames = encodeControl(message, max);
        const decoder = new FrameDecoder();
        frames.forEach((frame, i) => {
          expect(frame.byteLength).toBeLessThanOrEqual(max);
          const result = decoder.decode(frame.buffer);
          if (i < frames.length - 1) expect(result).toBeNull();
          else expect(result).toEqual(message);
        });
      }),
      { numRuns: fuzzRuns(150) },
    );
  }, fuzzTimeout);

  it('a hello fits one frame and the limit before the proof', () => {
    fc.assert(
      fc.property(hello, (message) => {
        const frames = encodeControl(message, MIN_MESSAGE_SIZE);
        expect(frames).toHaveLength(1);
        const decoder = new FrameDecoder();
        decoder.limit = MAX_UNAUTHENTICATED_BYTES;
        expect(decoder.decode(frames[0]!.buffer)).toEqual(message);
      }),
      { numRuns: fuzzRuns(100) },
    );
  }, fuzzTimeout);

  it('DATA frames carry their file, offset and payload', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), index, fc.uint8Array({ minLength: 1, maxLength: 64 }), (file, offset, payload) => {
        const frame = allocateDataFrame(file, offset, payload.length);
        frame.set(payload, DATA_HEADER_BYTES);
        expect(new FrameDecoder().decode(frame.buffer)).toEqual({ type: 'data', file, offset, payload });
      }),
      { numRuns: fuzzRuns(100) },
    );
  }, fuzzTimeout);

  it('FILES frames carry each file, its hash and its bytes, empty files included', () => {
    const file = fc.record({ file: fc.nat({ max: 2 ** 32 - 1 }), hash: hash32, payload: fc.uint8Array({ maxLength: 64 }) });
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 20 }), (files) => {
        const { frame, payloads, hashes } = allocateFilesFrame(files.map(({ file, payload }) => ({ file, size: payload.length })));
        files.forEach(({ hash, payload }, i) => {
          payloads[i]!.set(payload);
          hashes[i]!.set(hash);
        });
        expect(new FrameDecoder().decode(frame.buffer)).toEqual({ type: 'files', files });
      }),
      { numRuns: fuzzRuns(100) },
    );
  }, fuzzTimeout);

  it('BLOCK frames carry their file, block index, hash and proof', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), hash32, fc.array(hash32, { maxLength: MOST_PROOF_HASHES }), (file, blockIndex, hash, proof) => {
        const frame = encodeBlock(file, blockIndex, hash, proof);
        expect(new FrameDecoder().decode(frame.buffer)).toEqual({ type: 'block', file, index: blockIndex, hash, proof });
      }),
      { numRuns: fuzzRuns(100) },
    );
  }, fuzzTimeout);
});
