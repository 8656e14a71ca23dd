/**
 * Proofs, bound to this very connection, of who each side is.
 *
 * The sender signs with the Ed25519 key whose public half is in the link: no one else
 * can, so no link holder can pass as the sender. A receiver proves it holds the link's
 * secret with an HMAC, and signs with a key pair of its own for the transfer, whose
 * public half is who it is to the sender from one connection to the next. All of them
 * cover the connection's DTLS fingerprints (each side's own first), so a proof is worth
 * nothing on any other connection: the broker relays the SDP and could swap in its own
 * endpoints, but then the two sides see different fingerprints and the proofs do not
 * verify. The secret and the private keys never leave the sender's and receivers'
 * devices. Nothing about the files is sent before the proofs.
 */
import * as ed25519 from '@noble/ed25519';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64url, fromBase64url, SENDER_KEY_BYTES } from './link.ts';

// Ed25519 from an audited library, with synchronous SHA-512: WebCrypto (and its
// Ed25519) exists only in secure contexts, and Ferry must also work over plain http on
// a LAN, where a phone cannot use https.
ed25519.hashes.sha512 = sha512;

export type Role = 'sender' | 'receiver';

/** Tags every signed or MACed statement, so none can be taken for another kind. */
const DOMAIN = 'ferry-v2';

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

/** What `role` proves on a connection: its own fingerprint first, then the other side's. */
function statement(role: Role, own: string, other: string): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN} ${role} ${own} ${other}`);
}

// Not WebCrypto, for the same reason as above; and synchronous, so the broker filter
// (net/peer-guard.ts) can check an offer's ticket as the message arrives.
function hmac(secret: string, message: Uint8Array): Uint8Array {
  return nobleHmac(sha256, fromBase64url(secret), message);
}

/** The sender's key pair, base64url: `signingKey` stays on its device, `senderKey` goes in the link. */
export interface SenderKeys {
  signingKey: string;
  senderKey: string;
}

export function newSenderKeys(): SenderKeys {
  const { secretKey, publicKey } = ed25519.keygen();
  return { signingKey: base64url(secretKey), senderKey: base64url(publicKey) };
}

/** The sender's proof for this connection: its signature over the fingerprints. */
export function proveSender(signingKey: string, prints: Fingerprints): string {
  return base64url(ed25519.sign(statement('sender', prints.local, prints.remote), fromBase64url(signingKey)));
}

/** Checks, as the receiver, that the other side signed this connection with the link's key. */
export function verifySender(senderKey: string, prints: Fingerprints, proof: string): boolean {
  try {
    const key = fromBase64url(senderKey);
    if (key.length !== SENDER_KEY_BYTES) return false;
    // Strict verification, not the library's ZIP-215 default: that accepts a small-order
    // key with one fixed signature for every message, and non-canonical encodings.
    return ed25519.verify(fromBase64url(proof), statement('sender', prints.remote, prints.local), key, { zip215: false });
  } catch {
    // Not base64url, not a point on the curve, not 64 bytes: not a proof.
    return false;
  }
}

/** The receiver's proof for this connection: that it holds the link's secret. */
export function proveReceiver(secret: string, prints: Fingerprints): string {
  return base64url(hmac(secret, statement('receiver', prints.local, prints.remote)));
}

/** An Ed25519 public key, as in the link, or a receiver's private key: 32 bytes. */
const KEY_BYTES = SENDER_KEY_BYTES;

/**
 * A receiver's private key for one transfer, base64url: kept with the transfer's record
 * on its device and never sent. The sender remembers who gave the share's password and
 * whom its person allowed by the public half, which the receiver proves it holds on
 * every connection (proveReceiverKey): so it is not asked again when it reconnects,
 * and another holder of the link who learns the public key, or anything else the
 * receiver says, is asked as anyone new is. Random, so it tells the sender nothing
 * about the receiver's other transfers.
 */
export function newReceiverKey(): string {
  return base64url(ed25519.keygen().secretKey);
}

/** Whether `value` can be a receiver's private key (newReceiverKey): a stored one may be damaged, or missing from an older record. */
export function isReceiverKey(value: unknown): value is string {
  try {
    return typeof value === 'string' && fromBase64url(value).length === KEY_BYTES;
  } catch {
    return false;
  }
}

/** What a receiver signs with its own key: that it is on this connection, its own fingerprint first. */
function receiverKeyStatement(own: string, other: string): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN} receiver key ${own} ${other}`);
}

/** A receiver's public key, base64url, and its signature over this connection, which only the holder of the private key can make. */
export interface ReceiverKeyProof {
  key: string;
  keyProof: string;
}

export function proveReceiverKey(privateKey: string, prints: Fingerprints): ReceiverKeyProof {
  const secretKey = fromBase64url(privateKey);
  return {
    key: base64url(ed25519.getPublicKey(secretKey)),
    keyProof: base64url(ed25519.sign(receiverKeyStatement(prints.local, prints.remote), secretKey)),
  };
}

/** Checks, as the sender, that the other side holds the private half of `key` and signed this connection with it. */
export function verifyReceiverKey({ key, keyProof }: ReceiverKeyProof, prints: Fingerprints): boolean {
  try {
    const publicKey = fromBase64url(key);
    if (publicKey.length !== KEY_BYTES) return false;
    // Strict (RFC 8032), not ZIP-215: under ZIP-215 a small-order key with one fixed
    // signature verifies for any connection, and would be a name anyone can present.
    return ed25519.verify(fromBase64url(keyProof), receiverKeyStatement(prints.remote, prints.local), publicKey, { zip215: false });
  } catch {
    // Not base64url, not a point on the curve, not 64 bytes: not a proof.
    return false;
  }
}

/** Tickets: an HMAC of `text`, cut to 16 bytes, which is plenty to be unguessable. */
function shortMac(secret: string, text: string): Uint8Array {
  return hmac(secret, new TextEncoder().encode(text)).subarray(0, 16);
}

/** Checks, as the sender, the other side's proof of the secret, in time independent of where it differs. */
export function verifyReceiver(secret: string, prints: Fingerprints, proof: string): boolean {
  return macMatches(secret, statement('receiver', prints.remote, prints.local), proof);
}

/** Whether `proof` is the HMAC of `message` under `key`, compared in time independent of where it differs. */
function macMatches(key: string, message: Uint8Array, proof: string): boolean {
  return matches(proof, hmac(key, message));
}

/** Whether base64url `given` decodes to `expected`; anything that does not decode does not. */
function matches(given: string, expected: Uint8Array): boolean {
  try {
    return sameBytes(fromBase64url(given), expected);
  } catch {
    return false;
  }
}

/**
 * What the sender keeps of a share's password, and what a receiver derives from what
 * its person types: an HMAC under the link's secret, so the key is worth nothing
 * without the link, and the password itself is stored nowhere. NFC, so the same
 * word typed on two keyboards is the same password. base64url.
 */
export function passwordKey(secret: string, password: string): string {
  return base64url(hmac(secret, new TextEncoder().encode(`${DOMAIN} password ${password.normalize('NFC')}`)));
}

/**
 * The password proof covers this connection, the receiver's fingerprint first: it goes
 * only to a sender that has already proved itself by signature, inside DTLS, so
 * neither the broker nor another link holder ever sees one, and a proof seen on one
 * connection is worth nothing on another. Guessing is online only, against the
 * sender's limits (password-guard.ts).
 */
function passwordStatement(receiver: string, sender: string): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN} password ${receiver} ${sender}`);
}

/** The receiver's proof, for this connection, that its person knows the password. */
export function provePassword(key: string, prints: Fingerprints): string {
  return base64url(hmac(key, passwordStatement(prints.local, prints.remote)));
}

/** Checks, as the sender, a receiver's password proof, in time independent of where it differs. */
export function verifyPassword(key: string, prints: Fingerprints, proof: string): boolean {
  return macMatches(key, passwordStatement(prints.remote, prints.local), proof);
}

/**
 * What a receiver puts in its connection offer, which the broker relays: proof that
 * it holds the link, bound to its broker id and the connection's id, so the sender
 * builds no connection at all for anyone else who learned its peer id. 16 bytes,
 * base64url. The broker sees it, and could replay it; nothing else can.
 */
export function offerTicket(secret: string, brokerId: string, connectionId: string): string {
  return base64url(offerMac(secret, brokerId, connectionId));
}

export function verifyOfferTicket(secret: string, brokerId: string, connectionId: string, ticket: string): boolean {
  return matches(ticket, offerMac(secret, brokerId, connectionId));
}

function offerMac(secret: string, brokerId: string, connectionId: string): Uint8Array {
  return shortMac(secret, `${DOMAIN} offer ${brokerId} ${connectionId}`);
}

/** Compares in time that depends only on the lengths. */
export function sameBytes(given: Uint8Array, expected: Uint8Array): boolean {
  let difference = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ (given[i] ?? 0);
  return difference === 0;
}
