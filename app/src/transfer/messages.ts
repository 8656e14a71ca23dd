/**
 * The messages two Ferry peers exchange, and their runtime validation.
 * Everything that arrives from a peer is untrusted: `parseControl` accepts only
 * well-formed messages and throws a ProtocolError that says what was wrong.
 */
import { ProtocolError } from './errors.ts';
import { MAX_LANE_SDP_LENGTH, WIRE_LANES } from './lanes.ts';
import { utf8Length } from '../common/unicode.ts';

export const PROTOCOL_VERSION = 4;

/** What the sender says about each file before any byte moves. */
export interface FileDescription {
  /** Relative path as picked or dropped ("photos/cat.jpg"); sanitised before saving. */
  name: string;
  size: number;
  type: string;
  lastModified: number;
  /**
   * The root of its block tree (block-tree.ts; lowercase hex), when the sender already
   * knows it: every block is checked against it before it is stored, and a receiver
   * that resumes holds the sender to the roots it has learned (pins.ts).
   */
  root?: string;
}

/**
 * "Send bytes [start, end) of file `file`", each block with its proof, and the file's
 * end after them when end is its size. Both ends lie on block boundaries (BLOCK_SIZE),
 * but for `end` at the file's size, so that every block comes whole.
 */
export interface FileRange {
  file: number;
  start: number;
  end: number;
}

export type ControlMessage =
  /**
   * The sender says hello first, with its signature; the receiver only after that
   * checks out, with its proof of the secret.
   * `key` is the receiver's public key for this transfer and `keyProof` its signature
   * over this connection (auth.ts proveReceiverKey), always together: who it is to the
   * sender, which knows it again when it reconnects and lets it past what it passed
   * before. `device` is how the receiver describes its browser and system, for the
   * sender's person to recognise it (self-reported: anyone with the link can claim
   * anything).
   */
  | { type: 'hello'; version: number; proof: string; key?: string; keyProof?: string; device?: string }
  /**
   * From the sender, after the receiver proved the secret and before the manifest:
   * what it must do first. 'password': prove the share's password (`triesLeft` after a
   * wrong try; `retryInMs` while wrong tries have it locked out). 'approval': wait
   * while the person sending decides.
   */
  | { type: 'gate'; need: GateNeed; triesLeft?: number; retryInMs?: number }
  /** From the receiver: proof that it knows the share's password (auth.ts). */
  | { type: 'password'; proof: string }
  /** From the sender, which then hangs up: the link is dead, or this receiver is not served now (EndReason). */
  | { type: 'ended'; reason: EndReason }
  /**
   * The files, after every gate. `device` is how the sender describes its browser and
   * system, for the receiver's person (self-reported, like the receiver's in hello):
   * said only here, to a receiver that proved the link, never in the sender's hello.
   * `text` is a note shared beside the files, or alone (a link, a Wi-Fi password): at
   * most MAX_TEXT_BYTES of UTF-8, pinned by a resuming receiver like the files (pins.ts).
   * `lanes`: how many lanes (lanes.ts) the sender takes, this connection's included;
   * none: this one only.
   */
  | { type: 'manifest'; files: FileDescription[]; device?: string; text?: string; lanes?: number }
  /**
   * `stored` and `total` are the receiver's progress, which the sender shows. `lane`:
   * which lane the ranges are sent on, in order (none: this connection's own, lane 0).
   */
  | { type: 'request'; ranges: FileRange[]; stored: number; total: number; lane?: number }
  /** From the receiver: a session description for lane `lane` (1 and up), which the sender answers. */
  | { type: 'lane-offer'; lane: number; sdp: string }
  /** From the sender: its answer to the receiver's offer of lane `lane`. */
  | { type: 'lane-answer'; lane: number; sdp: string }
  /**
   * From the sender, before the first block of a file whose root the receiver has not
   * had from it on this connection (the manifest went before the sender knew it).
   */
  | { type: 'root'; file: number; root: string }
  /** The sender has sent every byte asked of `file` up to its end. */
  | { type: 'file-end'; file: number }
  /**
   * Files checked against their root, every block of them stored: those `verified`; and
   * those sent whole in a FILES frame that did not match, and will be asked for again (`failed`).
   */
  | { type: 'receipt'; verified: number[]; failed: number[] }
  /** The receiver has every file, verified: the sender may hang up. */
  | { type: 'done' }
  | { type: 'error'; message: string };

export type GateNeed = 'password' | 'approval';
export const GATE_NEEDS: readonly GateNeed[] = ['password', 'approval'];
/**
 * The link is dead: 'stopped' by the sender's person, 'expired' by time or after the
 * first download. Or about this receiver alone: 'declined' by the person, turned away
 * while the share serves as many receivers as it may ('busy'), or 'timed-out' after
 * waiting too long at a gate or with the list of files.
 */
export type EndReason = 'stopped' | 'expired' | 'declined' | 'busy' | 'timed-out';
export const END_REASONS: readonly EndReason[] = ['stopped', 'expired', 'declined', 'busy', 'timed-out'];

/** Whether `reason` ends the link for everyone: asking again changes nothing (the rest are about one request). */
export function endsLink(reason: EndReason): boolean {
  return reason === 'stopped' || reason === 'expired';
}

export interface DataMessage {
  type: 'data';
  file: number;
  offset: number;
  payload: Uint8Array;
}

/**
 * A block's SHA-256 and the proof that it is block `index` of `file`'s tree (a BLOCK
 * frame, frames.ts): its bytes follow in DATA frames.
 */
export interface BlockMessage {
  type: 'block';
  file: number;
  index: number;
  /** The SHA-256 of the block's bytes, 32 bytes. */
  hash: Uint8Array;
  /** The sibling hashes from its leaf up to the root (block-tree.ts proveBlock). */
  proof: Uint8Array[];
}

/**
 * A whole file of at most one block, from a FILES frame (frames.ts), with the SHA-256
 * of its bytes: its only block's hash, from which its root follows.
 */
export interface WholeFile {
  file: number;
  hash: Uint8Array;
  payload: Uint8Array;
}

export interface FilesMessage {
  type: 'files';
  files: WholeFile[];
}

export type Message = ControlMessage | BlockMessage | DataMessage | FilesMessage;

/** Generous but finite, so a hostile manifest cannot make the page allocate without bound. */
export const MAX_FILES = 100_000;
const MAX_NAME_LENGTH = 4096;
const MAX_TYPE_LENGTH = 255;
const MAX_ERROR_LENGTH = 1000;
/** A device description: a browser and a system, with room for long names. */
export const MAX_DEVICE_LENGTH = 100;

/** A shared text, in bytes of UTF-8: a note, never a file in disguise. */
export const MAX_TEXT_BYTES = 64 * 1024;

/** Whether `text` is too long to share (over MAX_TEXT_BYTES of UTF-8). */
export function textTooLong(text: string): boolean {
  // No UTF-16 unit takes more than three bytes: a text of a third of the bound needs no counting.
  return text.length > MAX_TEXT_BYTES / 3 && utf8Length(text) > MAX_TEXT_BYTES;
}

type Body = Record<string, unknown>;

function fail(what: string): never {
  throw new ProtocolError(`malformed message: ${what}`);
}

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function index(body: Body, key: string): number {
  const value = body[key];
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`${key} must be a non-negative integer`);
  return value as number;
}

function text(body: Body, key: string, max: number): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length > max) fail(`${key} must be a string of at most ${max} characters`);
  return value;
}

function base64urlText(body: Body, key: string, max: number): string {
  const value = text(body, key, max);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) fail(`${key} must be base64url`);
  return value;
}

function oneOf<T extends string>(body: Body, key: string, choices: readonly T[]): T {
  const value = body[key];
  if (!choices.includes(value as T)) fail(`${key} must be one of ${choices.join(', ')}`);
  return value as T;
}

function list(body: Body, key: string, max: number): unknown[] {
  const value = body[key];
  if (!Array.isArray(value) || value.length > max) fail(`${key} must be a list of at most ${max} entries`);
  return value;
}

function indices(body: Body, key: string): number[] {
  return list(body, key, MAX_FILES).map((value) => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`${key} must hold non-negative integers`);
    return value as number;
  });
}

/** A lane's number, or a count of lanes: from `min` to below WIRE_LANES (a count: up to it). */
function laneNumber(body: Body, key: string, min: number): number {
  const value = index(body, key);
  const max = key === 'lanes' ? WIRE_LANES : WIRE_LANES - 1;
  if (value < min || value > max) fail(`${key} must be from ${min} to ${max}`);
  return value;
}

function entry(value: unknown, what: string): Body {
  if (!isBody(value)) fail(`${what} must be an object`);
  return value;
}

function root(body: Body): string {
  const value = text(body, 'root', 64);
  if (!/^[0-9a-f]{64}$/.test(value)) fail('root must be 64 lowercase hex digits');
  return value;
}

function sharedText(body: Body): string {
  const value = text(body, 'text', MAX_TEXT_BYTES);
  if (value === '' || textTooLong(value)) fail(`text must be 1 to ${MAX_TEXT_BYTES} bytes of UTF-8`);
  return value;
}

function fileDescription(value: unknown): FileDescription {
  const body = entry(value, 'file');
  const lastModified = body.lastModified;
  if (typeof lastModified !== 'number' || !Number.isFinite(lastModified)) fail('lastModified must be a number');
  const file: FileDescription = {
    name: text(body, 'name', MAX_NAME_LENGTH),
    size: index(body, 'size'),
    type: text(body, 'type', MAX_TYPE_LENGTH),
    lastModified,
  };
  if (body.root !== undefined) file.root = root(body);
  return file;
}

/** Checks a decoded control body of the given type and returns it as a typed message. */
export function parseControl(type: ControlMessage['type'], value: unknown): ControlMessage {
  if (!isBody(value)) fail(`${type} body must be an object`);
  switch (type) {
    case 'hello': {
      const hello: ControlMessage = { type, version: index(value, 'version'), proof: text(value, 'proof', 256) };
      if (value.key !== undefined || value.keyProof !== undefined) {
        hello.key = base64urlText(value, 'key', 64);
        hello.keyProof = base64urlText(value, 'keyProof', 128);
      }
      if (value.device !== undefined) hello.device = text(value, 'device', MAX_DEVICE_LENGTH);
      return hello;
    }
    case 'gate': {
      const gate: ControlMessage = { type, need: oneOf(value, 'need', GATE_NEEDS) };
      if (value.triesLeft !== undefined) gate.triesLeft = index(value, 'triesLeft');
      if (value.retryInMs !== undefined) gate.retryInMs = index(value, 'retryInMs');
      return gate;
    }
    case 'password':
      return { type, proof: text(value, 'proof', 256) };
    case 'ended':
      return { type, reason: oneOf(value, 'reason', END_REASONS) };
    case 'manifest': {
      const manifest: ControlMessage = { type, files: list(value, 'files', MAX_FILES).map(fileDescription) };
      if (value.device !== undefined) manifest.device = text(value, 'device', MAX_DEVICE_LENGTH);
      if (value.text !== undefined) manifest.text = sharedText(value);
      if (value.lanes !== undefined) manifest.lanes = laneNumber(value, 'lanes', 1);
      return manifest;
    }
    case 'lane-offer':
    case 'lane-answer':
      return { type, lane: laneNumber(value, 'lane', 1), sdp: text(value, 'sdp', MAX_LANE_SDP_LENGTH) };
    case 'request': {
      const request: ControlMessage = {
        type,
        ranges: list(value, 'ranges', MAX_FILES).map((range) => {
          const body = entry(range, 'range');
          const start = index(body, 'start');
          const end = index(body, 'end');
          if (end < start) fail('a range must not end before it starts');
          return { file: index(body, 'file'), start, end };
        }),
        stored: index(value, 'stored'),
        total: index(value, 'total'),
      };
      if (value.lane !== undefined) request.lane = laneNumber(value, 'lane', 0);
      return request;
    }
    case 'root':
      return { type, file: index(value, 'file'), root: root(value) };
    case 'file-end':
      return { type, file: index(value, 'file') };
    case 'receipt':
      return { type, verified: indices(value, 'verified'), failed: indices(value, 'failed') };
    case 'done':
      return { type };
    case 'error':
      return { type, message: text(value, 'message', MAX_ERROR_LENGTH) };
  }
}
