/**
 * What a browser may say to the broker, checked before anything is relayed.
 *
 * The `peer` package relays whatever JSON a client sends, and if relaying fails
 * (JSON.stringify overflows its stack on a deeply nested payload) it closes the
 * *destination's* socket — which frees the destination's id for anyone to take.
 * So every message is parsed here first, against the shapes the PeerJS client
 * really sends, and only a rebuilt copy of a valid one reaches `peer`.
 */

/** Real session descriptions of a data channel are 1–6 KiB; candidates far less. */
export const MAX_BROKER_MESSAGE_BYTES = 64 * 1024;

/** PeerJS's own id rule (util.validateId), plus a length no real id comes near. */
const PEER_ID = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;
export const MAX_ID_LENGTH = 64;
const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * The deepest honest payload is payload.sdp.sdp or payload.candidate.candidate
 * (depth 2); PeerJS also forwards the caller's `metadata`, which Ferry never sets.
 */
const MAX_DEPTH = 4;
/** Objects, arrays and values in one payload; an honest one has about a dozen. */
const MAX_NODES = 64;

/** Message types a PeerJS client sends; LEAVE and EXPIRE come only from the broker. */
const RELAYED = new Set(['OFFER', 'ANSWER', 'CANDIDATE']);

export type ClientMessage =
  | { type: 'HEARTBEAT' }
  | { type: 'OFFER' | 'ANSWER' | 'CANDIDATE'; dst: string; payload: Record<string, unknown> };

export function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && PEER_ID.test(value);
}

/**
 * The message in `text` if it is one a PeerJS client could have sent, else null.
 * Unknown top-level fields are dropped; `src` is never taken from the client.
 */
export function parseClientMessage(text: string): ClientMessage | null {
  if (text.length > MAX_BROKER_MESSAGE_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { type, dst, payload } = value;
  if (type === 'HEARTBEAT') return { type };
  if (typeof type !== 'string' || !RELAYED.has(type) || !isPeerId(dst)) return null;
  if (!isRecord(payload) || !withinBounds(payload) || !validPayload(type, payload)) return null;
  return { type: type as 'OFFER' | 'ANSWER' | 'CANDIDATE', dst, payload };
}

function validPayload(type: string, payload: Record<string, unknown>): boolean {
  if (typeof payload.connectionId !== 'string' || !CONNECTION_ID.test(payload.connectionId)) return false;
  if (payload.type !== 'data' && payload.type !== 'media') return false;
  if (type === 'CANDIDATE') {
    const { candidate } = payload;
    return (
      isRecord(candidate) &&
      typeof candidate.candidate === 'string' &&
      optional(candidate.sdpMid, 'string') &&
      optional(candidate.sdpMLineIndex, 'number') &&
      optional(candidate.usernameFragment, 'string')
    );
  }
  const { sdp } = payload;
  return isRecord(sdp) && sdp.type === (type === 'OFFER' ? 'offer' : 'answer') && typeof sdp.sdp === 'string';
}

function optional(value: unknown, type: 'string' | 'number'): boolean {
  return value === undefined || value === null || typeof value === type;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Depth and node count, walked without recursion so a hostile shape cannot blow the stack. */
function withinBounds(root: object): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > MAX_NODES) return false;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DEPTH) return false;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return true;
}
