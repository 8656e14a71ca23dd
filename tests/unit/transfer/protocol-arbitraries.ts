/**
 * fast-check arbitraries for the protocol's messages, and what a parsed message must
 * look like. Shared by the property tests of frames.ts and messages.ts. The bounds
 * are written out again here rather than imported where messages.ts keeps them
 * private: a test that read them from the code under test would agree with any bug.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { newReceiverKey, proveReceiverKey } from '../../../app/src/transfer/auth.ts';
import { END_REASONS, GATE_NEEDS, MAX_DEVICE_LENGTH, type ControlMessage, type FileDescription, type FileRange, type Message } from '../../../app/src/transfer/messages.ts';

export const MAX_NAME = 4096;
export const MAX_TYPE = 255;
export const MAX_PROOF = 256;
export const MAX_ERROR = 1000;
export const MAX_TEXT_BYTES = 64 * 1024;
/** Hashes in a block's proof, at most: one per level of a tree of 2^40 blocks (frames.ts). */
export const MOST_PROOF_HASHES = 40;

/**
 * Any text of at most `max` UTF-16 units, long ones now and then: all of Unicode,
 * lone surrogates included, since a peer's JSON may carry them (as \ud800 escapes).
 */
export function text(max: number): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
    // Any code point; those from D800 to DFFF come out as lone surrogates.
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)) },
    { weight: 1, arbitrary: fc.constantFrom('/', '\\', '.', '"', '\u0000', '\u202e', 'ё', '📄') },
  );
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.string({ unit, maxLength: max }) },
      { weight: 1, arbitrary: fc.string({ unit, maxLength: max, size: 'max' }) },
    )
    .map((value) => value.slice(0, max));
}

/** Non-negative safe integers, with the edges (0, 2^32, 2^53 - 1) likely. */
export const index = fc.oneof(fc.nat(1000), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());

// `+ 0` turns -0 into 0: JSON has no negative zero, so it cannot round-trip.
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => value + 0);

/** A block-tree root (block-tree.ts) as messages carry it: 64 lowercase hex digits. */
export const root = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));

export const fileDescription: fc.Arbitrary<FileDescription> = fc
  .record({
    name: text(MAX_NAME),
    size: index,
    type: text(MAX_TYPE),
    lastModified: fc.oneof(fc.nat(), finite),
    root: fc.option(root, { nil: undefined }),
  })
  .map(({ root, ...rest }) => ({ ...rest, ...(root !== undefined && { root }) }));

/** A text shared beside the files: never empty, and well within MAX_TEXT_BYTES however it encodes. */
const sharedText = text(2000).filter((value) => value !== '');

/** Many small entries: a manifest that needs several PART frames. */
const longFileList = fc.array(
  fc.record({ name: fc.string({ maxLength: 40 }), size: fc.nat(), type: fc.constant(''), lastModified: fc.nat() }),
  { minLength: 500, maxLength: 3000 },
);

const range: fc.Arbitrary<FileRange> = fc
  .tuple(index, index, index)
  .map(([file, a, b]) => ({ file, start: Math.min(a, b), end: Math.max(a, b) }));

/** A receiver's public key and its signature, as the hello carries them: base64url of any length a hello allows, or real ones. */
const receiverKeyProof = fc.oneof(
  fc.record({ key: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), keyProof: fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/) }),
  fc.constantFrom(...[1, 2, 3].map(() => proveReceiverKey(newReceiverKey(), { local: 'sha-256 11:22', remote: 'sha-256 33:44' }))),
);

export const hello = fc
  .record({
    version: index,
    proof: text(MAX_PROOF),
    receiver: fc.option(receiverKeyProof, { nil: undefined }),
    device: fc.option(text(MAX_DEVICE_LENGTH), { nil: undefined }),
  })
  .map(
    ({ receiver, device, ...rest }): ControlMessage => ({
      type: 'hello',
      ...rest,
      ...receiver,
      ...(device !== undefined && { device }),
    }),
  );

function controlMessages(files: fc.Arbitrary<FileDescription[]>): fc.Arbitrary<ControlMessage> {
  return fc.oneof(
    hello,
    fc
      .tuple(files, fc.option(text(MAX_DEVICE_LENGTH), { nil: undefined }), fc.option(sharedText, { nil: undefined }))
      .map(([files, device, text]): ControlMessage => ({ type: 'manifest', files, ...(device !== undefined && { device }), ...(text !== undefined && { text }) })),
    fc.record({ ranges: fc.array(range, { maxLength: 50 }), stored: index, total: index }).map((body): ControlMessage => ({ type: 'request', ...body })),
    fc.record({ file: index, root }).map((body): ControlMessage => ({ type: 'root', ...body })),
    fc.record({ file: index }).map((body): ControlMessage => ({ type: 'file-end', ...body })),
    fc.record({ verified: fc.array(index, { maxLength: 50 }), failed: fc.array(index, { maxLength: 50 }) }).map((body): ControlMessage => ({ type: 'receipt', ...body })),
    fc.constant<ControlMessage>({ type: 'done' }),
    fc
      .record({ need: fc.constantFrom(...GATE_NEEDS), triesLeft: fc.option(index, { nil: undefined }), retryInMs: fc.option(index, { nil: undefined }) })
      .map(({ need, triesLeft, retryInMs }): ControlMessage => ({
        type: 'gate',
        need,
        ...(triesLeft !== undefined && { triesLeft }),
        ...(retryInMs !== undefined && { retryInMs }),
      })),
    text(MAX_PROOF).map((proof): ControlMessage => ({ type: 'password', proof })),
    fc.constantFrom(...END_REASONS).map((reason): ControlMessage => ({ type: 'ended', reason })),
    text(MAX_ERROR).map((message): ControlMessage => ({ type: 'error', message })),
  );
}

const fewFiles = fc.array(fileDescription, { maxLength: 20 });

/** Any control message; one manifest in six has thousands of entries. */
export const controlMessage = controlMessages(
  fc.oneof({ weight: 5, arbitrary: fewFiles }, { weight: 1, arbitrary: longFileList }),
);

/** Any control message with at most 20 files, where size does not matter and time does. */
export const smallControlMessage = controlMessages(fewFiles);

function expectIndex(value: unknown): void {
  expect(Number.isSafeInteger(value) && (value as number) >= 0, `${String(value)} is a non-negative integer`).toBe(true);
}

function expectText(value: unknown, max: number): void {
  expect(typeof value).toBe('string');
  expect((value as string).length).toBeLessThanOrEqual(max);
}

/** Exactly the keys `keys`, as own properties: nothing a peer added slips through. */
function expectKeys(value: object, keys: string[]): void {
  expect(Object.keys(value).sort()).toEqual([...keys].sort());
}

/** What every message that leaves the decoder satisfies, whatever the peer sent. */
export function expectWellFormed(message: Message): void {
  switch (message.type) {
    case 'data':
      expectKeys(message, ['type', 'file', 'offset', 'payload']);
      expect(Number.isInteger(message.file) && message.file >= 0 && message.file < 2 ** 32).toBe(true);
      expectIndex(message.offset);
      expect(message.payload).toBeInstanceOf(Uint8Array);
      expect(message.payload.length).toBeGreaterThan(0);
      return;
    case 'files':
      expectKeys(message, ['type', 'files']);
      expect(message.files.length).toBeGreaterThan(0);
      for (const file of message.files) {
        expectKeys(file, ['file', 'hash', 'payload']);
        expect(Number.isInteger(file.file) && file.file >= 0 && file.file < 2 ** 32).toBe(true);
        expect(file.hash).toBeInstanceOf(Uint8Array);
        expect(file.hash).toHaveLength(32);
        expect(file.payload).toBeInstanceOf(Uint8Array);
      }
      return;
    case 'block':
      expectKeys(message, ['type', 'file', 'index', 'hash', 'proof']);
      expect(Number.isInteger(message.file) && message.file >= 0 && message.file < 2 ** 32).toBe(true);
      expect(Number.isInteger(message.index) && message.index >= 0 && message.index < 2 ** 32).toBe(true);
      expect(message.hash).toBeInstanceOf(Uint8Array);
      expect(message.hash).toHaveLength(32);
      expect(message.proof.length).toBeLessThanOrEqual(MOST_PROOF_HASHES);
      for (const sibling of message.proof) {
        expect(sibling).toBeInstanceOf(Uint8Array);
        expect(sibling).toHaveLength(32);
      }
      return;
    case 'hello':
      expectKeys(message, ['type', 'version', 'proof', ...(message.key === undefined ? [] : ['key', 'keyProof']), ...(message.device === undefined ? [] : ['device'])]);
      expectIndex(message.version);
      expectText(message.proof, MAX_PROOF);
      // Together or not at all.
      expect(message.key === undefined).toBe(message.keyProof === undefined);
      if (message.key !== undefined) expect(message.key).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      if (message.keyProof !== undefined) expect(message.keyProof).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      if (message.device !== undefined) expectText(message.device, MAX_DEVICE_LENGTH);
      return;
    case 'gate':
      expectKeys(message, ['type', 'need', ...(message.triesLeft === undefined ? [] : ['triesLeft']), ...(message.retryInMs === undefined ? [] : ['retryInMs'])]);
      expect(GATE_NEEDS).toContain(message.need);
      if (message.triesLeft !== undefined) expectIndex(message.triesLeft);
      if (message.retryInMs !== undefined) expectIndex(message.retryInMs);
      return;
    case 'password':
      expectKeys(message, ['type', 'proof']);
      expectText(message.proof, MAX_PROOF);
      return;
    case 'ended':
      expectKeys(message, ['type', 'reason']);
      expect(END_REASONS).toContain(message.reason);
      return;
    case 'manifest':
      expectKeys(message, ['type', 'files', ...(message.device === undefined ? [] : ['device']), ...(message.text === undefined ? [] : ['text'])]);
      if (message.device !== undefined) expectText(message.device, MAX_DEVICE_LENGTH);
      if (message.text !== undefined) {
        expect(typeof message.text).toBe('string');
        expect(message.text).not.toBe('');
        // A lone surrogate goes out as the three bytes of U+FFFD, as TextEncoder makes it.
        expect(new TextEncoder().encode(message.text).length).toBeLessThanOrEqual(MAX_TEXT_BYTES);
      }
      expect(Array.isArray(message.files)).toBe(true);
      expect(message.files.length).toBeLessThanOrEqual(100_000);
      // A for loop, not forEach: it also visits holes in a sparse array.
      for (let i = 0; i < message.files.length; i++) {
        const file = message.files[i]!;
        expectKeys(file, ['name', 'size', 'type', 'lastModified', ...(file.root === undefined ? [] : ['root'])]);
        expectText(file.name, MAX_NAME);
        expectIndex(file.size);
        expectText(file.type, MAX_TYPE);
        expect(Number.isFinite(file.lastModified)).toBe(true);
        if (file.root !== undefined) expect(file.root).toMatch(/^[0-9a-f]{64}$/);
      }
      return;
    case 'request':
      expectKeys(message, ['type', 'ranges', 'stored', 'total']);
      expect(message.ranges.length).toBeLessThanOrEqual(100_000);
      for (let i = 0; i < message.ranges.length; i++) {
        const range = message.ranges[i]!;
        expectKeys(range, ['file', 'start', 'end']);
        expectIndex(range.file);
        expectIndex(range.start);
        expectIndex(range.end);
        expect(range.start).toBeLessThanOrEqual(range.end);
      }
      expectIndex(message.stored);
      expectIndex(message.total);
      return;
    case 'root':
      expectKeys(message, ['type', 'file', 'root']);
      expectIndex(message.file);
      expect(message.root).toMatch(/^[0-9a-f]{64}$/);
      return;
    case 'file-end':
      expectKeys(message, ['type', 'file']);
      expectIndex(message.file);
      return;
    case 'receipt':
      expectKeys(message, ['type', 'verified', 'failed']);
      for (const list of [message.verified, message.failed]) {
        expect(list.length).toBeLessThanOrEqual(100_000);
        for (let i = 0; i < list.length; i++) expectIndex(list[i]!);
      }
      return;
    case 'done':
      expectKeys(message, ['type']);
      return;
    case 'error':
      expectKeys(message, ['type', 'message']);
      expectText(message.message, MAX_ERROR);
      return;
    default:
      throw new Error(`not a message type: ${(message as { type: unknown }).type}`);
  }
}
