/**
 * Proof that a peer holds the share link's secret, bound to this very connection.
 *
 * Each side sends HMAC-SHA256(secret, role + its own DTLS fingerprint + the other's).
 * The broker relays the SDP and could swap in its own endpoints, but then the two
 * sides see different fingerprints and the proofs do not verify. The secret itself
 * never leaves the URL fragment. Nothing about the files is sent before the proof.
 */
import { createHMAC, createSHA256 } from 'hash-wasm';
import { base64url, fromBase64url } from './link.ts';

export type Role = 'sender' | 'receiver';

/**
 * The certificate fingerprint from an SDP blob, e.g. "sha-256 AB:CD:…". An SDP may
 * carry a session-level fingerprint and media-level ones, and the media level wins
 * in the browser; a broker could put an honest line first and its own after it.
 * So every line must agree, or we refuse the connection.
 */
export function sdpFingerprint(sdp: string): string {
  const prints = new Set(
    Array.from(sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm), (m) => `${m[1]!.toLowerCase()} ${m[2]!.toUpperCase()}`),
  );
  if (prints.size === 0) throw new Error('the session description has no DTLS fingerprint');
  if (prints.size > 1) throw new Error('the session description carries conflicting DTLS fingerprints');
  return [...prints][0]!;
}

export interface Fingerprints {
  local: string;
  remote: string;
}

function statement(role: Role, own: string, other: string): Uint8Array {
  return new TextEncoder().encode(`ferry-v1 ${role} ${own} ${other}`);
}

// hash-wasm rather than WebCrypto: crypto.subtle exists only in secure contexts, and
// Ferry must also work over plain http on a LAN, where a phone cannot use https.
async function hmac(secret: string, message: Uint8Array): Promise<Uint8Array> {
  const mac = await createHMAC(createSHA256(), fromBase64url(secret));
  mac.init();
  mac.update(message);
  return mac.digest('binary');
}

/** Our proof, as `role`, for this connection. */
export async function proveSecret(secret: string, role: Role, prints: Fingerprints): Promise<string> {
  return base64url(await hmac(secret, statement(role, prints.local, prints.remote)));
}

/**
 * What a receiver calls itself in its hello, from its own stable id: the same on every
 * reconnection, so the sender knows it again, but a one-way digest. The id itself names
 * what the receiver stores (its download URLs, storage keys and folders) and never
 * leaves the device. 16 bytes, base64url.
 */
export async function sessionName(secret: string, id: string): Promise<string> {
  return base64url((await hmac(secret, new TextEncoder().encode(`ferry-v1 session ${id}`))).subarray(0, 16));
}

/** Checks the other side's proof, in time independent of where it differs. */
export async function verifySecret(
  secret: string,
  peerRole: Role,
  prints: Fingerprints,
  proof: string,
): Promise<boolean> {
  let given: Uint8Array;
  try {
    given = fromBase64url(proof);
  } catch {
    return false;
  }
  const expected = await hmac(secret, statement(peerRole, prints.remote, prints.local));
  let difference = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ (given[i] ?? 0);
  return difference === 0;
}
