/**
 * Proof that a peer holds the share link's secret, bound to this very connection.
 *
 * Each side sends HMAC-SHA256(secret, role + its own DTLS fingerprint + the other's).
 * The broker relays the SDP and could swap in its own endpoints, but then the two
 * sides see different fingerprints and the proofs do not verify. The secret itself
 * never leaves the URL fragment. Nothing about the files is sent before the proof.
 */
import { base64url, fromBase64url } from './link.ts';

export type Role = 'sender' | 'receiver';

/** The certificate fingerprint from an SDP blob, e.g. "sha-256 AB:CD:…". */
export function sdpFingerprint(sdp: string): string {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match) throw new Error('the session description has no DTLS fingerprint');
  return `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`;
}

export interface Fingerprints {
  local: string;
  remote: string;
}

function statement(role: Role, own: string, other: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`ferry-v1 ${role} ${own} ${other}`);
}

function hmacKey(secret: string, use: 'sign' | 'verify') {
  return crypto.subtle.importKey('raw', fromBase64url(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [use]);
}

/** Our proof, as `role`, for this connection. */
export async function proveSecret(secret: string, role: Role, prints: Fingerprints): Promise<string> {
  const key = await hmacKey(secret, 'sign');
  const mac = await crypto.subtle.sign('HMAC', key, statement(role, prints.local, prints.remote));
  return base64url(new Uint8Array(mac));
}

/** Checks the other side's proof (constant-time, by WebCrypto). */
export async function verifySecret(
  secret: string,
  peerRole: Role,
  prints: Fingerprints,
  proof: string,
): Promise<boolean> {
  let mac: Uint8Array<ArrayBuffer>;
  try {
    mac = fromBase64url(proof);
  } catch {
    return false;
  }
  const key = await hmacKey(secret, 'verify');
  return crypto.subtle.verify('HMAC', key, mac, statement(peerRole, prints.remote, prints.local));
}
