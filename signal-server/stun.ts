// A STUN Binding responder (RFC 8489), so a Ferry server can tell browsers the
// public address and port their NAT gave them (their "server-reflexive"
// candidate) without running coturn or relying on a third-party STUN server.
//
// It answers one thing only: a Binding request, with the source address of the
// datagram. It keeps no per-transaction state (Binding is idempotent, §6.3.1, so
// a retransmission simply gets the same answer again) and no authentication
// (§9: "a STUN server on the public Internet supporting ICE would have no
// authentication").
//
// Two halves: answerStun() is a pure function from a datagram to a reply (easy to
// test and fuzz); startStunResponder() puts it on a UDP socket behind stun-budget.ts,
// because a UDP service that answers anyone is a tool for reflection attacks.

import dgram from 'node:dgram';
import zlib from 'node:zlib';
import { addressBytes } from './ip-address.ts';
import { StunBudget, type StunBudgetOptions } from './stun-budget.ts';

// §5: a 20-byte header — type (2 bytes), length (2), magic cookie (4),
// transaction id (12) — then zero or more attributes.
const HEADER_LENGTH = 20;
const MAGIC_COOKIE = 0x2112a442;

// §5: the message type packs a method and a class. Binding is method 0x001;
// these are its request, success response and error response.
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const BINDING_ERROR = 0x0111;

// Attribute types (§14, registry in §18.3).
const USERNAME = 0x0006;
const MESSAGE_INTEGRITY = 0x0008;
const ERROR_CODE = 0x0009;
const UNKNOWN_ATTRIBUTES = 0x000a;
const REALM = 0x0014;
const NONCE = 0x0015;
const MESSAGE_INTEGRITY_SHA256 = 0x001c;
const PASSWORD_ALGORITHM = 0x001d;
const USERHASH = 0x001e;
const XOR_MAPPED_ADDRESS = 0x0020;
const PRIORITY = 0x0024; // RFC 8445 (ICE) §16.1
const USE_CANDIDATE = 0x0025; // RFC 8445 (ICE) §16.1
const SOFTWARE = 0x8022;
const FINGERPRINT = 0x8028;

// §14.7: the FINGERPRINT value is the CRC-32 of the message before it, XORed
// with this constant ("STUN" in ASCII) so it differs from CRCs other protocols
// sharing the port might carry.
const FINGERPRINT_XOR = 0x5354554e;

// §14: types 0x0000-0x7FFF are "comprehension-required": a server that does not
// understand one must refuse the request with 420 (§6.3.1). Types from 0x8000 up
// are comprehension-optional and simply ignored.
//
// These comprehension-required attributes are ones we know, and a Binding
// request may carry them without asking anything of us, so we ignore them
// ("known-but-unexpected attributes SHOULD be ignored", §6.3):
//  - the credential attributes of §9 (USERNAME, USERHASH, MESSAGE-INTEGRITY,
//    MESSAGE-INTEGRITY-SHA256, REALM, NONCE, PASSWORD-ALGORITHM): we do no
//    authentication, so there is nothing to check them against;
//  - ICE's PRIORITY and USE-CANDIDATE (RFC 8445 §16.1), which matter only to
//    the peer in a connectivity check, not to a STUN server.
// Anything else below 0x8000 gets a 420. That includes RFC 5780's CHANGE-REQUEST
// and RESPONSE-PORT, and that is the intended answer: a 420 is how a NAT
// behaviour discovery client learns that this server cannot do them.
const IGNORED_REQUIRED_ATTRIBUTES: ReadonlySet<number> = new Set([
  USERNAME,
  USERHASH,
  MESSAGE_INTEGRITY,
  MESSAGE_INTEGRITY_SHA256,
  REALM,
  NONCE,
  PASSWORD_ALGORITHM,
  PRIORITY,
  USE_CANDIDATE,
]);

// §14.14: SOFTWARE SHOULD be in responses; keep it short, it is sent to everyone.
const SOFTWARE_NAME = 'Ferry';

// §14.2: the address families of (XOR-)MAPPED-ADDRESS.
const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;

/**
 * The reply to one datagram received on the STUN port, or null to drop it.
 *
 * A Binding request gets a Binding success response carrying `from` in
 * XOR-MAPPED-ADDRESS, or a 420 error response if it has comprehension-required
 * attributes we do not know. Everything else — malformed messages, RFC 3489
 * requests (no magic cookie), indications, responses, other methods, bad
 * fingerprints — is silently dropped, as §6.3 prescribes. Never throws.
 */
export function answerStun(datagram: Uint8Array, from: { address: string; port: number }): Buffer | null {
  try {
    return answer(datagram, from);
  } catch {
    // Defence in depth: nothing above is expected to throw, but a bug on a
    // malformed packet must cost one reply, not the process.
    return null;
  }
}

function answer(datagram: Uint8Array, from: { address: string; port: number }): Buffer | null {
  // §6.3 first checks: enough bytes for a header, the first two bits zero, the
  // magic cookie, a sensible length. Any failure: silently discard.
  if (datagram.length < HEADER_LENGTH) return null;
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const type = view.getUint16(0);
  const length = view.getUint16(2);
  // §5: the length excludes the header and is a multiple of 4, because every
  // attribute is padded to a 4-byte boundary. A UDP datagram is exactly one
  // message, so it must also match what arrived.
  if (length % 4 !== 0 || length !== datagram.length - HEADER_LENGTH) return null;
  // Classic RFC 3489 requests have no cookie (a random transaction id is there
  // instead). §11 makes answering them optional; we do not, so browsers and
  // modern clients get strict parsing and old clients get silence.
  if (view.getUint32(4) !== MAGIC_COOKIE) return null;
  // One comparison covers "first two bits are 0", "class is request" and
  // "method is Binding": indications, responses and any other method — ones we
  // do not support, such as TURN's Allocate — are discarded (§6.3).
  if (type !== BINDING_REQUEST) return null;

  const transactionId = datagram.subarray(8, HEADER_LENGTH);
  const unknown = new Set<number>();
  // §9: attributes after MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY-SHA256) are
  // ignored, except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT.
  let afterIntegrity = false;

  // Walk the attributes (§14): type (2 bytes), value length (2), value, padding
  // to a multiple of 4. `offset` and the end are both multiples of 4, so at
  // least one whole 4-byte attribute header is always left inside the loop.
  let offset = HEADER_LENGTH;
  while (offset < datagram.length) {
    const attributeType = view.getUint16(offset);
    const valueLength = view.getUint16(offset + 2);
    const valueStart = offset + 4;
    const next = valueStart + padded(valueLength);
    // An attribute that claims more bytes than the message has: not STUN.
    if (next > datagram.length) return null;

    if (attributeType === FINGERPRINT) {
      // §14.7: FINGERPRINT is the last attribute, 4 bytes, and covers everything
      // before it (the header's length already counts FINGERPRINT itself). A
      // wrong one means this is not (or no longer) a STUN message: drop (§7).
      if (valueLength !== 4 || next !== datagram.length) return null;
      const expected = (zlib.crc32(datagram.subarray(0, offset)) ^ FINGERPRINT_XOR) >>> 0;
      if (view.getUint32(valueStart) !== expected) return null;
    } else if (
      !afterIntegrity &&
      attributeType < 0x8000 &&
      !IGNORED_REQUIRED_ATTRIBUTES.has(attributeType)
    ) {
      unknown.add(attributeType);
    }
    if (attributeType === MESSAGE_INTEGRITY || attributeType === MESSAGE_INTEGRITY_SHA256) {
      afterIntegrity = true;
    }
    offset = next;
  }

  if (unknown.size > 0) {
    // §6.3.1: 420 (Unknown Attribute) with UNKNOWN-ATTRIBUTES listing them.
    return encodeMessage(BINDING_ERROR, transactionId, [
      [ERROR_CODE, errorCodeValue(420, 'Unknown Attribute')],
      [UNKNOWN_ATTRIBUTES, unknownAttributesValue([...unknown])],
      [SOFTWARE, Buffer.from(SOFTWARE_NAME, 'utf8')],
    ]);
  }

  // §6.3.1.1: the success response carries the request's source transport
  // address in XOR-MAPPED-ADDRESS.
  const mapped = xorMappedAddressValue(from, transactionId);
  if (mapped === null) return null; // not an address we can encode: nothing useful to say
  return encodeMessage(BINDING_SUCCESS, transactionId, [
    [XOR_MAPPED_ADDRESS, mapped],
    [SOFTWARE, Buffer.from(SOFTWARE_NAME, 'utf8')],
  ]);
}

/** Attribute values are padded to a multiple of 4 bytes (§14). */
function padded(length: number): number {
  return (length + 3) & ~3;
}

/**
 * A whole message: header, the attributes in order, and FINGERPRINT last. We
 * always add FINGERPRINT (§7): it costs 8 bytes and lets a client that shares
 * the port with media (ICE does) tell our answer apart from other packets.
 */
function encodeMessage(type: number, transactionId: Uint8Array, attributes: Array<[number, Uint8Array]>): Buffer {
  const fingerprintLength = 4 + 4;
  const bodyLength =
    attributes.reduce((sum, [, value]) => sum + 4 + padded(value.length), 0) + fingerprintLength;
  const message = Buffer.alloc(HEADER_LENGTH + bodyLength); // zero-filled: padding is zeros
  message.writeUInt16BE(type, 0);
  message.writeUInt16BE(bodyLength, 2);
  message.writeUInt32BE(MAGIC_COOKIE, 4);
  message.set(transactionId, 8);

  let offset = HEADER_LENGTH;
  for (const [attributeType, value] of attributes) {
    message.writeUInt16BE(attributeType, offset);
    message.writeUInt16BE(value.length, offset + 2);
    message.set(value, offset + 4);
    offset += 4 + padded(value.length);
  }

  // §14.7: CRC-32 over everything before the FINGERPRINT attribute, with the
  // header's length already including it (it does: bodyLength counts it).
  message.writeUInt16BE(FINGERPRINT, offset);
  message.writeUInt16BE(4, offset + 2);
  message.writeUInt32BE((zlib.crc32(message.subarray(0, offset)) ^ FINGERPRINT_XOR) >>> 0, offset + 4);
  return message;
}

/** §14.8: two zero bytes, the class (hundreds) and number (rest), a reason phrase. */
function errorCodeValue(code: number, reason: string): Buffer {
  const reasonBytes = Buffer.from(reason, 'utf8');
  const value = Buffer.alloc(4 + reasonBytes.length);
  value[2] = Math.floor(code / 100);
  value[3] = code % 100;
  value.set(reasonBytes, 4);
  return value;
}

/** §14.13: a list of 16-bit attribute types (padded like any other value). */
function unknownAttributesValue(types: number[]): Buffer {
  const value = Buffer.alloc(types.length * 2);
  types.forEach((type, index) => value.writeUInt16BE(type, index * 2));
  return value;
}

/**
 * §14.2: XOR-MAPPED-ADDRESS — a zero byte, the family, the port XORed with the
 * top 16 bits of the magic cookie, and the address XORed with the cookie (IPv4)
 * or the cookie followed by the transaction id (IPv6). The XOR stops NATs that
 * rewrite every copy of their public address in payloads from "fixing" it.
 */
function xorMappedAddressValue(
  from: { address: string; port: number },
  transactionId: Uint8Array,
): Buffer | null {
  const address = addressBytes(from.address);
  if (address === null || !Number.isInteger(from.port) || from.port < 0 || from.port > 0xffff) return null;

  const value = Buffer.alloc(4 + address.length);
  value[1] = address.length === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  value.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 2);
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  mask.set(transactionId, 4);
  address.forEach((byte, index) => {
    value[4 + index] = byte ^ (mask[index] ?? 0);
  });
  return value;
}

// ---------------------------------------------------------------------------
// The UDP socket.

export interface StunResponder {
  /** The UDP port actually bound (useful with port 0). */
  port: number;
  /** Stops answering and releases the port. Safe to call twice. */
  close(): Promise<void>;
}

// Anyone can put any source address on a UDP packet, so a STUN server that
// answers everything can be told to send its answers to a victim (a reflection
// attack; a success response is about three times the size of the smallest
// request). stun-budget.ts bounds that per client, per network and for the whole
// server, and shares the whole server's budget fairly between networks, so a flood
// from spoofed sources does not silence everyone else.
//
// A browser asks a handful of times per connection (one request per local address,
// retransmitted until answered); a /24 may be many households behind one carrier.
// The whole server's budget is sized to one core: tests/bench/stun.ts measured
// 50,000-54,000 answers a second with the event loop 86-88% busy (about 60,000 at
// a full core), and the broker shares this thread, so two thirds of that.
const STUN_LIMITS: StunBudgetOptions = {
  ratePerSecond: 20,
  burst: 40,
  networkPerSecond: 100,
  networkBurst: 200,
  globalPerSecond: 40_000,
  maxSources: 10_000,
};

export interface StunResponderOptions extends Partial<StunBudgetOptions> {
  /** Address to bind: an IPv6 one (containing ':') opens a udp6 socket; '::' is dual-stack. */
  host: string;
  /** UDP port; 0 picks a free one. 3478 is STUN's registered port. */
  port: number;
  /** Where socket errors go. Defaults to console.error. */
  log?: (message: string) => void;
}

/** Errors worth one log line each, at most this often (a flood must not flood the log). */
const LOG_INTERVAL_MS = 10_000;

/**
 * Binds host:port and answers STUN Binding requests there until close().
 * Rejects, with a message naming the port, if the port cannot be bound.
 */
export async function startStunResponder(options: StunResponderOptions): Promise<StunResponder> {
  const { host, port } = options;
  // dgram would silently take a port like 70000 modulo 65536.
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`cannot bind UDP port ${port} on ${host}: a port is 0 to 65535`);
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const now = options.now ?? (() => performance.now());
  const budget = new StunBudget({ ...STUN_LIMITS, ...options, now });
  const logThrottled = throttle(log, now);

  // A host with ':' is IPv6. Node makes udp6 sockets dual-stack (ipv6Only is
  // false), so '::' also answers IPv4 clients, which arrive as ::ffff:a.b.c.d.
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });

  socket.on('message', (datagram, source) => {
    const response = answerStun(datagram, source);
    // Port 0 cannot be answered (and is a spoofed source anyway). The budget is
    // asked last, so only datagrams we would answer count.
    if (response === null || source.port === 0 || !budget.allow(source.address)) return;
    socket.send(response, source.port, source.address, (error) => {
      // E.g. EACCES for a (spoofed) broadcast source. Never fatal.
      if (error) logThrottled(`stun: cannot answer ${source.address}:${source.port}: ${error.message}`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onBindError = (error: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      reject(bindError(error, host, port));
    };
    socket.once('error', onBindError);
    socket.once('listening', () => {
      socket.off('error', onBindError);
      resolve();
    });
    try {
      socket.bind(port, host);
    } catch (error) {
      // Synchronous failures, e.g. a port outside 0-65535.
      onBindError(error as NodeJS.ErrnoException);
    }
  });

  // After the bind, an error must not take the server down: log it and carry on.
  socket.on('error', (error) => logThrottled(`stun: UDP socket error: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    port: socket.address().port,
    close() {
      closing ??= new Promise<void>((resolve) => socket.close(() => resolve()));
      return closing;
    },
  };
}

/** The bind error rewritten for an operator: which UDP port, and what to do about it. */
function bindError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `UDP port ${port} on ${host}`;
  const off = "set FERRY_STUN_PORT to another port, or 0 to turn Ferry's STUN off";
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is in use (is coturn running there? ${off})`, { cause: error });
    case 'EACCES':
      return new Error(
        `${where} needs privileges this process lacks (ports below 1024 need root or CAP_NET_BIND_SERVICE; ${off})`,
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
      return new Error(`cannot bind ${where}: ${host} is not an address of this machine`, { cause: error });
    default:
      return new Error(`cannot bind ${where}: ${error.message}`, { cause: error });
  }
}

/** `log`, but at most one line per LOG_INTERVAL_MS; the next line counts what was skipped. */
function throttle(log: (message: string) => void, now: () => number): (message: string) => void {
  let last = -Infinity;
  let skipped = 0;
  return (message) => {
    const time = now();
    if (time - last < LOG_INTERVAL_MS) {
      skipped += 1;
      return;
    }
    last = time;
    log(skipped > 0 ? `${message} (${skipped} similar messages skipped)` : message);
    skipped = 0;
  };
}
