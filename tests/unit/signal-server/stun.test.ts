// The STUN Binding responder: the pure answerStun() against hand-built messages
// and a fuzzer, the rate limiter on a fake clock, and the UDP socket for real on
// loopback. Messages are encoded and decoded here independently of stun.ts, from
// RFC 8489 §5 and §14, so a shared misreading of the RFC cannot hide.

import dgram from 'node:dgram';
import { isDeepStrictEqual } from 'node:util';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerStun,
  startStunResponder,
  type StunResponder,
  type StunResponderOptions,
} from '../../../signal-server/stun.ts';

const COOKIE = 0x2112a442;
const FINGERPRINT_XOR = 0x5354554e;
const T = {
  bindingRequest: 0x0001,
  bindingIndication: 0x0011,
  bindingSuccess: 0x0101,
  bindingError: 0x0111,
  allocateRequest: 0x0003,
};
const A = {
  changeRequest: 0x0003, // RFC 5780: comprehension-required and not supported
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  unknownAttributes: 0x000a,
  xorMappedAddress: 0x0020,
  priority: 0x0024,
  useCandidate: 0x0025,
  software: 0x8022,
  fingerprint: 0x8028,
  iceControlling: 0x802a,
};
/** Comprehension-required types a Binding request may carry without a 420 (mirrors stun.ts's documented list). */
const IGNORED_REQUIRED = new Set([0x0006, 0x001e, 0x0008, 0x001c, 0x0014, 0x0015, 0x001d, 0x0024, 0x0025]);

type Attribute = [type: number, value: Uint8Array];

// ---------------------------------------------------------------------------
// Encoding and decoding, by hand.

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function txid(seed: number): Uint8Array {
  return Uint8Array.from({ length: 12 }, (_, index) => (seed * 31 + index * 7 + 1) & 0xff);
}

/** A STUN message with these attributes (values padded with zeros), optionally FINGERPRINTed. */
function encode(
  type: number,
  transactionId: Uint8Array,
  attributes: Attribute[] = [],
  options: { fingerprint?: boolean } = {},
): Uint8Array {
  const parts: number[] = [];
  for (const [attributeType, value] of attributes) {
    parts.push(attributeType >> 8, attributeType & 0xff, value.length >> 8, value.length & 0xff, ...value);
    while (parts.length % 4 !== 0) parts.push(0);
  }
  const bodyLength = parts.length + (options.fingerprint ? 8 : 0);
  const message = new Uint8Array(20 + bodyLength);
  const view = new DataView(message.buffer);
  view.setUint16(0, type);
  view.setUint16(2, bodyLength);
  view.setUint32(4, COOKIE);
  message.set(transactionId, 8);
  message.set(parts, 20);
  if (options.fingerprint) refingerprint(message);
  return message;
}

/** Rewrites the CRC of a message whose last 8 bytes are a FINGERPRINT attribute. */
function refingerprint(message: Uint8Array): void {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const at = message.length - 8;
  view.setUint16(at, A.fingerprint);
  view.setUint16(at + 2, 4);
  view.setUint32(at + 4, (zlib.crc32(message.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
}

interface Message {
  type: number;
  transactionId: Uint8Array;
  attributes: Array<{ type: number; value: Uint8Array }>;
  hasFingerprint: boolean;
}

/**
 * Decodes a STUN message, or null if it breaks §5/§14 framing: short, top bits
 * set, wrong cookie, length not matching, an attribute overrunning the end, or a
 * FINGERPRINT that is not last or does not match.
 */
function decode(message: Uint8Array): Message | null {
  if (message.length < 20) return null;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const type = view.getUint16(0);
  if (type & 0xc000) return null;
  if (view.getUint16(2) !== message.length - 20 || message.length % 4 !== 0) return null;
  if (view.getUint32(4) !== COOKIE) return null;
  const attributes: Message['attributes'] = [];
  let hasFingerprint = false;
  let at = 20;
  while (at < message.length) {
    if (hasFingerprint) return null; // something after FINGERPRINT
    if (at + 4 > message.length) return null;
    const attributeType = view.getUint16(at);
    const length = view.getUint16(at + 2);
    const end = at + 4 + Math.ceil(length / 4) * 4;
    if (end > message.length) return null;
    if (attributeType === A.fingerprint) {
      if (length !== 4) return null;
      const crc = (zlib.crc32(message.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
      if (view.getUint32(at + 4) !== crc) return null;
      hasFingerprint = true;
    } else {
      attributes.push({ type: attributeType, value: Uint8Array.from(message.subarray(at + 4, at + 4 + length)) });
    }
    at = end;
  }
  return { type, transactionId: Uint8Array.from(message.subarray(8, 20)), attributes, hasFingerprint };
}

function attribute(message: Message, type: number): Uint8Array {
  const found = message.attributes.find((candidate) => candidate.type === type);
  if (!found) throw new Error(`no attribute 0x${type.toString(16)}`);
  return found.value;
}

/** §14.2, decoded: IPv4 as dotted quad, IPv6 as eight unabbreviated hex groups. */
function xorMappedAddress(message: Message): { family: number; address: string; port: number } {
  const value = attribute(message, A.xorMappedAddress);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const family = view.getUint8(1);
  const port = view.getUint16(2) ^ (COOKIE >>> 16);
  const mask = new Uint8Array(16);
  new DataView(mask.buffer).setUint32(0, COOKIE);
  mask.set(message.transactionId, 4);
  const raw = value.slice(4).map((byte, index) => byte ^ (mask[index] ?? 0));
  if (family === 1 && raw.length === 4) return { family, address: [...raw].join('.'), port };
  if (family === 2 && raw.length === 16) {
    const groups = Array.from({ length: 8 }, (_, index) => (((raw[index * 2] ?? 0) << 8) | (raw[index * 2 + 1] ?? 0)).toString(16));
    return { family, address: groups.join(':'), port };
  }
  return { family, address: `malformed: ${raw.length} bytes`, port };
}

/** Asserts `response` is a well-formed, FINGERPRINTed STUN response to `request`, and decodes it. */
function expectResponseTo(request: Uint8Array, response: Uint8Array | null): Message {
  expect(response).not.toBeNull();
  const message = decode(response!);
  expect(message, 'response is not well-formed STUN').not.toBeNull();
  expect([T.bindingSuccess, T.bindingError]).toContain(message!.type);
  expect(message!.transactionId).toEqual(Uint8Array.from(request.subarray(8, 20)));
  expect(message!.hasFingerprint).toBe(true);
  return message!;
}

/** §14.8 and §14.13, decoded. */
function errorOf(message: Message): { code: number; unknown: number[] } {
  const error = attribute(message, A.errorCode);
  const list = attribute(message, A.unknownAttributes);
  const unknown: number[] = [];
  for (let at = 0; at + 1 < list.length; at += 2) unknown.push(((list[at] ?? 0) << 8) | (list[at + 1] ?? 0));
  return { code: (error[2] ?? 0) * 100 + (error[3] ?? 0), unknown };
}

const FROM4 = { address: '203.0.113.7', port: 54321 };

// ---------------------------------------------------------------------------

describe('answerStun: Binding requests', () => {
  const plain = encode(T.bindingRequest, txid(1));
  const fingerprinted = encode(T.bindingRequest, txid(2), [[A.software, bytes(0x61, 0x62, 0x63)]], {
    fingerprint: true,
  });

  it.each([
    ['without FINGERPRINT', plain],
    ['with FINGERPRINT', fingerprinted],
  ])('answers an IPv4 source (%s) with its address and port', (_name, request) => {
    const response = expectResponseTo(request, answerStun(request, FROM4));
    expect(response.type).toBe(T.bindingSuccess);
    expect(xorMappedAddress(response)).toEqual({ family: 1, address: '203.0.113.7', port: 54321 });
    expect(new TextDecoder().decode(attribute(response, A.software))).toBe('Ferry');
  });

  it.each([
    ['2001:db8::1234:5678', 443, 2, '2001:db8:0:0:0:0:1234:5678'],
    ['::1', 1, 2, '0:0:0:0:0:0:0:1'],
    ['fe80::1%eth0', 65535, 2, 'fe80:0:0:0:0:0:0:1'], // link-local: the zone is not on the wire
    ['::ffff:198.51.100.9', 3478, 1, '198.51.100.9'], // IPv4-mapped: reported as IPv4
    ['::ffff:c633:6409', 3478, 1, '198.51.100.9'], // the same, in hex
    ['::198.51.100.9', 9, 2, '0:0:0:0:0:0:c633:6409'], // IPv4-compatible is not mapped
  ])('reports %s port %i as family %i %s', (address, port, family, expected) => {
    const response = expectResponseTo(fingerprinted, answerStun(fingerprinted, { address, port }));
    expect(response.type).toBe(T.bindingSuccess);
    expect(xorMappedAddress(response)).toEqual({ family, address: expected, port });
  });

  it('ends its response with a valid FINGERPRINT, after XOR-MAPPED-ADDRESS and SOFTWARE', () => {
    const response = answerStun(plain, FROM4)!;
    const view = new DataView(response.buffer, response.byteOffset, response.byteLength);
    const at = response.length - 8;
    expect(view.getUint16(at)).toBe(A.fingerprint);
    expect(view.getUint32(at + 4)).toBe((zlib.crc32(response.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
    expect(decode(response)!.attributes.map((found) => found.type)).toEqual([A.xorMappedAddress, A.software]);
  });

  it('reads a request that sits inside a larger buffer', () => {
    const backing = new Uint8Array(fingerprinted.length + 7).fill(0xee);
    backing.set(fingerprinted, 3);
    const view = backing.subarray(3, 3 + fingerprinted.length);
    expect(xorMappedAddress(expectResponseTo(view, answerStun(view, FROM4))).port).toBe(54321);
  });

  it('ignores attributes an ICE or authenticated Binding request carries, and optional ones', () => {
    const request = encode(
      T.bindingRequest,
      txid(3),
      [
        [A.username, bytes(0x75, 0x3a, 0x76)],
        [A.priority, bytes(0x6e, 0x7f, 0x1e, 0xff)],
        [A.useCandidate, bytes()],
        [A.iceControlling, new Uint8Array(8)],
        [0xc001, bytes(1, 2, 3)], // unknown but comprehension-optional
        [A.messageIntegrity, new Uint8Array(20)],
        [A.changeRequest, bytes(0, 0, 0, 6)], // after MESSAGE-INTEGRITY: ignored (§9)
      ],
      { fingerprint: true },
    );
    expect(expectResponseTo(request, answerStun(request, FROM4)).type).toBe(T.bindingSuccess);
  });

  it('answers 420 with UNKNOWN-ATTRIBUTES for unknown comprehension-required attributes (§6.3.1)', () => {
    const request = encode(
      T.bindingRequest,
      txid(4),
      [
        [A.changeRequest, bytes(0, 0, 0, 6)],
        [A.priority, bytes(1, 2, 3, 4)],
        [0x7fff, bytes()],
        [A.changeRequest, bytes(0, 0, 0, 0)], // listed once
      ],
      { fingerprint: true },
    );
    const response = expectResponseTo(request, answerStun(request, FROM4));
    expect(response.type).toBe(T.bindingError);
    expect(errorOf(response)).toEqual({ code: 420, unknown: [A.changeRequest, 0x7fff] });
    expect(response.attributes.some((found) => found.type === A.xorMappedAddress)).toBe(false);
  });

  it('pads an odd-length UNKNOWN-ATTRIBUTES list', () => {
    const request = encode(T.bindingRequest, txid(5), [[0x0027, bytes(0, 0, 0, 0)]]); // RESPONSE-PORT
    const response = expectResponseTo(request, answerStun(request, FROM4));
    expect(errorOf(response)).toEqual({ code: 420, unknown: [0x0027] });
  });
});

describe('answerStun: drops', () => {
  const request = encode(
    T.bindingRequest,
    txid(6),
    [
      [A.username, bytes(0x61)],
      [A.priority, bytes(1, 2, 3, 4)],
    ],
    { fingerprint: true },
  );
  const withType = (type: number, fingerprint = true) =>
    encode(type, txid(7), [[A.priority, bytes(1, 2, 3, 4)]], { fingerprint });

  it('answers the unmodified request (so the drops below are about the modification)', () => {
    expect(answerStun(request, FROM4)).not.toBeNull();
  });

  it('drops every truncation of a valid request', () => {
    for (let length = 0; length < request.length; length++) {
      expect(answerStun(request.slice(0, length), FROM4), `prefix of ${length} bytes`).toBeNull();
    }
  });

  it('drops a message without the magic cookie (RFC 3489) or with a wrong one', () => {
    const copy = request.slice();
    copy[4] = 0x21 ^ 0xff;
    refingerprint(copy);
    expect(answerStun(copy, FROM4)).toBeNull();
  });

  it('drops a length field that does not match the datagram, or is not a multiple of 4', () => {
    for (const delta of [-8, -4, -1, 1, 4]) {
      const copy = request.slice();
      new DataView(copy.buffer).setUint16(2, request.length - 20 + delta);
      expect(answerStun(copy, FROM4), `length off by ${delta}`).toBeNull();
    }
    // Two stray bytes with a length field that matches them.
    const odd = new Uint8Array(request.length + 2);
    odd.set(request);
    new DataView(odd.buffer).setUint16(2, odd.length - 20);
    expect(answerStun(odd, FROM4)).toBeNull();
    // A datagram longer than the message it announces.
    expect(answerStun(Uint8Array.from([...request, 0, 0, 0, 0]), FROM4)).toBeNull();
  });

  it.each([
    ['a Binding success response', T.bindingSuccess],
    ['a Binding error response', T.bindingError],
    ['a Binding indication', T.bindingIndication],
    ['another method (Allocate)', T.allocateRequest],
    ['an unassigned method', 0x0fef],
    ['a type with the top bits set', 0xc001],
  ])('drops %s', (_name, type) => {
    expect(answerStun(withType(type), FROM4)).toBeNull();
    expect(answerStun(withType(type, false), FROM4)).toBeNull();
  });

  it('drops a bad FINGERPRINT, one that is not last, or one of the wrong size', () => {
    const bad = request.slice();
    bad[bad.length - 1]! ^= 0x01;
    expect(answerStun(bad, FROM4)).toBeNull();

    // A correct CRC, but followed by another attribute.
    const notLast = encode(T.bindingRequest, txid(8), [[A.priority, bytes(1, 2, 3, 4)]], { fingerprint: true });
    const extended = encode(T.bindingRequest, txid(8), [
      [A.priority, bytes(1, 2, 3, 4)],
      [A.fingerprint, notLast.slice(-4)],
      [A.software, bytes(0x78)],
    ]);
    const view = new DataView(extended.buffer);
    const crcAt = notLast.length - 4;
    view.setUint32(crcAt, (zlib.crc32(extended.subarray(0, crcAt - 4)) ^ FINGERPRINT_XOR) >>> 0);
    expect(answerStun(extended, FROM4)).toBeNull();

    const wide = encode(T.bindingRequest, txid(9), [[A.fingerprint, new Uint8Array(8)]]);
    expect(answerStun(wide, FROM4)).toBeNull();
  });

  it('drops an attribute that overruns the message', () => {
    // PRIORITY claims 8 bytes; the message (length field included) has 4.
    const overrun = encode(T.bindingRequest, txid(10), [[A.priority, bytes(1, 2, 3, 4)]]);
    new DataView(overrun.buffer).setUint16(22, 8);
    expect(answerStun(overrun, FROM4)).toBeNull();
    // A 5-byte value whose padding would pass the end.
    const padding = encode(T.bindingRequest, txid(10), [[A.username, bytes(1, 2, 3, 4)]]);
    new DataView(padding.buffer).setUint16(22, 5);
    expect(answerStun(padding, FROM4)).toBeNull();
  });

  it('drops what it cannot address, without throwing', () => {
    for (const from of [
      { address: 'example.com', port: 1 },
      { address: '', port: 1 },
      { address: '1.2.3.4', port: -1 },
      { address: '1.2.3.4', port: 65536 },
      { address: '1.2.3.4', port: 1.5 },
      { address: undefined as unknown as string, port: 1 },
    ]) {
      expect(answerStun(request, from)).toBeNull();
    }
    expect(answerStun(undefined as unknown as Uint8Array, FROM4)).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Fuzzing. The oracle is decode() plus the RFC's rules, written separately from
// stun.ts: a request is answered iff it is a well-framed Binding request, with a
// 420 listing exactly the unknown comprehension-required attributes before any
// MESSAGE-INTEGRITY(-SHA256).

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectedAnswer(datagram: Uint8Array): { kind: 'drop' } | { kind: 'success' } | { kind: '420'; unknown: number[] } {
  const message = decode(datagram);
  if (message === null || message.type !== T.bindingRequest) return { kind: 'drop' };
  const unknown: number[] = [];
  for (const { type } of message.attributes) {
    if (type === 0x0008 || type === 0x001c) break; // §9: the rest is ignored
    if (type < 0x8000 && !IGNORED_REQUIRED.has(type) && !unknown.includes(type)) unknown.push(type);
  }
  return unknown.length > 0 ? { kind: '420', unknown } : { kind: 'success' };
}

const SOURCES = [
  { address: '192.0.2.1', port: 1024, expect: { family: 1, address: '192.0.2.1' } },
  { address: '2001:db8::7', port: 50000, expect: { family: 2, address: '2001:db8:0:0:0:0:0:7' } },
  { address: '::ffff:10.1.2.3', port: 65535, expect: { family: 1, address: '10.1.2.3' } },
];

/** Datagrams: random bytes, random-but-framed messages, and valid requests mutated. */
function fuzzCorpus(seed: number, count: number): Uint8Array[] {
  const random = prng(seed);
  const int = (below: number) => Math.floor(random() * below);
  const randomBytes = (length: number) => Uint8Array.from({ length }, () => int(256));
  const attributePool = (): Attribute => {
    const types = [A.username, A.priority, A.useCandidate, A.messageIntegrity, 0x001c, A.software, A.iceControlling,
      A.changeRequest, 0x0027, 0x7fff, int(0x10000)];
    return [types[int(types.length)] ?? 0, randomBytes(int(12))];
  };
  const validRequest = () =>
    encode(T.bindingRequest, randomBytes(12), Array.from({ length: int(4) }, attributePool), {
      fingerprint: random() < 0.5,
    });

  const corpus: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const kind = int(10);
    if (kind === 0) {
      corpus.push(randomBytes(int(80)));
    } else if (kind === 1) {
      // Framed like STUN (cookie, length), random type and attribute bytes.
      const type = random() < 0.5 ? T.bindingRequest : int(0x10000);
      const message = encode(type, randomBytes(12), [[int(0x10000), randomBytes(int(20))]]);
      message.set(randomBytes(message.length - 20), 20);
      corpus.push(message);
    } else if (kind === 2) {
      corpus.push(validRequest());
    } else {
      let message = validRequest();
      const mutation = int(4);
      if (mutation === 0) {
        for (let flips = 1 + int(3); flips > 0; flips--) message[int(message.length)]! ^= 1 << int(8);
      } else if (mutation === 1) {
        message = message.slice(0, int(message.length));
      } else if (mutation === 2) {
        message = Uint8Array.from([...message, ...randomBytes(1 + int(8))]);
      } else {
        // Change one attribute byte, then repair what a sloppy encoder would repair,
        // so the mutation reaches the attribute walk instead of the header checks.
        if (message.length > 20) message[20 + int(message.length - 20)]! ^= 1 << int(8);
        if (random() < 0.5) message = Uint8Array.from([...message, ...new Uint8Array(4 * int(3))]);
        new DataView(message.buffer).setUint16(2, message.length - 20);
        if (message.length >= 28 && new DataView(message.buffer).getUint16(message.length - 8) === A.fingerprint) {
          refingerprint(message);
        }
      }
      corpus.push(message);
    }
  }
  return corpus;
}

/** What a response says, in a form that compares with deep equality (null: no response). */
function summarize(response: Uint8Array | null): unknown {
  if (response === null) return null;
  const message = decode(response);
  if (message === null) return 'not well-formed STUN';
  const has = (type: number) => message.attributes.some((found) => found.type === type);
  return {
    type: message.type,
    transactionId: Buffer.from(message.transactionId).toString('hex'),
    fingerprint: message.hasFingerprint,
    ...(has(A.xorMappedAddress) && { mapped: xorMappedAddress(message) }),
    ...(has(A.errorCode) && has(A.unknownAttributes) && { error: errorOf(message) }),
  };
}

/** What summarize() should give for the response to `datagram` from `source`, per the oracle. */
function expectedSummary(
  datagram: Uint8Array,
  expected: ReturnType<typeof expectedAnswer>,
  source: (typeof SOURCES)[number],
): unknown {
  if (expected.kind === 'drop') return null;
  const common = { transactionId: Buffer.from(datagram.subarray(8, 20)).toString('hex'), fingerprint: true };
  return expected.kind === 'success'
    ? { type: T.bindingSuccess, ...common, mapped: { ...source.expect, port: source.port } }
    : { type: T.bindingError, ...common, error: { code: 420, unknown: expected.unknown } };
}

describe('answerStun: fuzz', () => {
  it('never throws, and answers exactly the valid requests, correctly (12,000 datagrams, seed 8489)', () => {
    const outcomes = { drop: 0, success: 0, '420': 0 };
    const failures: unknown[] = [];
    fuzzCorpus(8489, 12_000).forEach((datagram, index) => {
      const source = SOURCES[index % SOURCES.length]!;
      const hex = () => Buffer.from(datagram).toString('hex');
      let response: Buffer | null;
      try {
        response = answerStun(datagram, source);
      } catch (error) {
        throw new Error(`datagram #${index} (${hex()}) threw: ${String(error)}`);
      }
      const oracle = expectedAnswer(datagram);
      outcomes[oracle.kind] += 1;
      // Compared without expect() per datagram, which would make 12,000 of them slow.
      const actual = summarize(response);
      const expected = expectedSummary(datagram, oracle, source);
      if (!isDeepStrictEqual(actual, expected)) failures.push({ index, hex: hex(), actual, expected });
    });
    expect(failures.slice(0, 3)).toEqual([]);
    // The corpus must exercise every path, or the test proves little.
    expect(outcomes.drop).toBeGreaterThan(3000);
    expect(outcomes.success).toBeGreaterThan(1000);
    expect(outcomes['420']).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------


// ---------------------------------------------------------------------------
// The socket, over loopback.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Sockets opened by a test, closed after it whatever happened; and what the responders logged.
const cleanups: Array<() => Promise<void>> = [];
const logged: string[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  logged.length = 0;
});

async function responder(options: Partial<StunResponderOptions> = {}): Promise<StunResponder> {
  const started = await startStunResponder({ host: '127.0.0.1', port: 0, log: (line) => logged.push(line), ...options });
  cleanups.push(() => started.close());
  return started;
}

interface Client {
  socket: dgram.Socket;
  received: Uint8Array[];
  port: number;
  send(datagram: Uint8Array, port: number, host?: string): Promise<void>;
  /** The response to `request`, or null if none came within `ms`. */
  response(request: Uint8Array, ms?: number): Promise<Message | null>;
}

async function client(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<Client> {
  const socket = dgram.createSocket(type);
  const received: Uint8Array[] = [];
  socket.on('message', (message) => received.push(message));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const find = (request: Uint8Array) =>
    received.map(decode).find((message) => message && Buffer.from(message.transactionId).equals(request.subarray(8, 20)));
  return {
    socket,
    received,
    port: socket.address().port,
    send: (datagram, port, to = host) =>
      new Promise<void>((resolve, reject) => socket.send(datagram, port, to, (error) => (error ? reject(error) : resolve()))),
    // Returns as soon as the answer is in: the limit is only how long a loaded machine may take.
    async response(request, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!find(request) && Date.now() < deadline) await sleep(5);
      return find(request) ?? null;
    },
  };
}

describe('startStunResponder', () => {
  it('answers a Binding request with the client address', async () => {
    const stun = await responder();
    expect(stun.port).toBeGreaterThan(0);
    const me = await client();
    const request = encode(T.bindingRequest, txid(20), [], { fingerprint: true });
    await me.send(request, stun.port);
    const response = await me.response(request);
    expect(response).not.toBeNull();
    expect(xorMappedAddress(response!)).toEqual({ family: 1, address: '127.0.0.1', port: me.port });
  });

  it('still answers after 10,000 fuzzed datagrams, and only ever sent well-formed responses', async () => {
    // Limits out of the way: this is about surviving garbage, not about rate limiting.
    const stun = await responder({ ratePerSecond: 1e6, burst: 1e6, globalPerSecond: 1e6 });
    const me = await client();
    const corpus = fuzzCorpus(3478, 10_000);
    for (let start = 0; start < corpus.length; start += 100) {
      await Promise.all(corpus.slice(start, start + 100).map((datagram) => me.send(datagram, stun.port)));
      await sleep(1); // lets the responder (same event loop) drain its socket
    }
    const request = encode(T.bindingRequest, txid(21));
    let response: Message | null = null;
    for (let attempt = 0; attempt < 3 && !response; attempt++) {
      await me.send(request, stun.port);
      response = await me.response(request, 2000);
    }
    expect(response).not.toBeNull();
    expect(xorMappedAddress(response!).port).toBe(me.port);
    expect(me.received.length).toBeGreaterThan(100); // some fuzzed requests were valid, and answered
    for (const datagram of me.received) {
      const message = decode(datagram);
      expect(message).not.toBeNull();
      expect([T.bindingSuccess, T.bindingError]).toContain(message!.type);
    }
    expect(logged).toEqual([]);
  });

  it('answers a burst from one source at most `burst` times, then again as time passes', async () => {
    let now = 0;
    const stun = await responder({ ratePerSecond: 2, burst: 5, now: () => now });
    const me = await client();
    const burst = async (first: number, count: number, expected: number) => {
      me.received.length = 0;
      const requests = Array.from({ length: count }, (_, index) => encode(T.bindingRequest, txid(first + index)));
      await Promise.all(requests.map((request) => me.send(request, stun.port)));
      for (const deadline = Date.now() + 5000; me.received.length < expected && Date.now() < deadline; ) await sleep(5);
      await sleep(100); // room for any answer beyond the limit to show up
      return me.received.length;
    };
    expect(await burst(100, 20, 5)).toBe(5);
    now += 1000; // 2 tokens
    expect(await burst(200, 10, 2)).toBe(2);
    now += 60_000;
    expect(await burst(300, 20, 5)).toBe(5);
  });

  it('keeps answering a client outside a flood from 130 sources that spends the whole budget', async () => {
    // The clock moves a quarter millisecond per request the responder weighs, so the
    // flood is 4,000 requests a second against a budget of 1,000 a second, however
    // fast this machine is. Each source is alone in its /24, as spoofed sources are.
    let weighed = 0;
    const stun = await responder({ globalPerSecond: 1000, now: () => ++weighed * 0.25 });
    const flood = await Promise.all(Array.from({ length: 130 }, (_, i) => client('udp4', `127.${i + 1}.0.1`)));
    const me = await client('udp4', '127.200.0.1');
    const unanswered: number[] = [];
    // 40 requests from each source, one round at a time, as in the finding. Each round
    // is weighed before the next is sent: a backlog would overflow the socket's
    // receive buffer, and the kernel, not the budget, would drop requests.
    for (let round = 1; round <= 40; round++) {
      const target = weighed + flood.length;
      await Promise.all(flood.map((source, i) => source.send(encode(T.bindingRequest, txid(10_000 + round * 200 + i)), stun.port, '127.0.0.1')));
      await expect.poll(() => weighed).toBeGreaterThanOrEqual(target);
      if (round % 10 !== 0) continue;
      const request = encode(T.bindingRequest, txid(round));
      await me.send(request, stun.port, '127.0.0.1');
      await expect.poll(() => weighed).toBeGreaterThan(target);
      // Weighed already: an answer, if any, is on its way.
      if ((await me.response(request, 500)) === null) unanswered.push(round);
    }
    expect(unanswered).toEqual([]);
    // And the flood did spend the budget: far fewer answers than requests.
    const floodAnswers = flood.reduce((sum, source) => sum + source.received.length, 0);
    expect(floodAnswers).toBeLessThan(2500);
  }, 15_000);

  it('on "::" answers IPv4 clients as IPv4 and IPv6 clients as IPv6', async () => {
    const stun = await responder({ host: '::' });
    const v4 = await client('udp4', '127.0.0.1');
    const v6 = await client('udp6', '::1');
    const request = encode(T.bindingRequest, txid(30), [], { fingerprint: true });
    await v4.send(request, stun.port);
    await v6.send(request, stun.port);
    expect(xorMappedAddress((await v4.response(request))!)).toEqual({ family: 1, address: '127.0.0.1', port: v4.port });
    expect(xorMappedAddress((await v6.response(request))!)).toEqual({ family: 2, address: '0:0:0:0:0:0:0:1', port: v6.port });
  });

  it('rejects with a message naming the UDP port when it is taken', async () => {
    const first = await responder();
    await expect(responder({ port: first.port })).rejects.toThrow(
      `UDP port ${first.port} on 127.0.0.1 is in use (is coturn running there?`,
    );
    await expect(responder({ port: 70_000 })).rejects.toThrow(/UDP port 70000 on 127.0.0.1/);
  });

  it('releases the port on close, and close can be called twice', async () => {
    const stun = await startStunResponder({ host: '127.0.0.1', port: 0 });
    await stun.close();
    await stun.close();
    const again = await responder({ port: stun.port });
    expect(again.port).toBe(stun.port);
  });
});
