/**
 * Share links: `<origin>/#/r/<senderPeerId>/<secret>/<senderKey>`, all in the
 * fragment, which browsers never send to a server. The secret is what every link
 * holder proves; the sender key is the Ed25519 public key only the sender can sign
 * for (transfer/auth.ts), so no link holder can pass as the sender.
 */
export const SECRET_BYTES = 16;
/** An Ed25519 public key: 32 bytes, 43 characters of base64url. */
export const SENDER_KEY_BYTES = 32;
const PEER_ID = /^[A-Za-z0-9]{8,64}$/;
const SECRET = /^[A-Za-z0-9_-]+$/;

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!SECRET.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** A fresh secret of SECRET_BYTES random bytes, base64url (22 characters). */
export function newSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** What a link names: where the sender is, what receivers prove, and whose signature to expect. */
export interface ShareAddress {
  peerId: string;
  secret: string;
  senderKey: string;
}

export function shareLink(origin: string, { peerId, secret, senderKey }: ShareAddress): string {
  return `${origin}/#/r/${peerId}/${secret}/${senderKey}`;
}

/**
 * Why a link cannot be used; the UI says each in the person's language. 'incomplete':
 * a part is missing or shorter than it must be, as when a link is cut short where a
 * message wrapped (links from before senders had a key look the same). 'damaged-…': a
 * part holds what no link holds.
 */
export type BadLinkReason = 'no-sender-id' | 'incomplete' | 'damaged-secret' | 'damaged-key';

export type Route =
  | { view: 'send' }
  | { view: 'receive'; address: ShareAddress }
  | { view: 'bad-link'; reason: BadLinkReason };

/**
 * How many whole bytes a link part carries: null when it holds a character base64url
 * has not. A part cut one character past a byte (length 4n + 1) does not decode; it
 * counts the bytes before the cut, so a short one reads as cut short.
 */
function partBytes(text: string): number | null {
  if (!SECRET.test(text)) return null;
  return text.length % 4 === 1 ? Math.floor((text.length * 3) / 4) : fromBase64url(text).length;
}

/** Reads the app's route from `location.hash`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { view: 'send' };
  const parts = path.split('/');
  if (parts[1] !== 'r') return { view: 'send' };
  const [, , peerId = '', secret = '', senderKey = '', ...rest] = parts;
  const bad = (reason: BadLinkReason): Route => ({ view: 'bad-link', reason });
  if (!PEER_ID.test(peerId)) return bad('no-sender-id');
  const secretBytes = partBytes(secret);
  if (secret !== '' && secretBytes === null) return bad('damaged-secret');
  // Nothing in a link says which Ferry made it, so a part that is missing or short is
  // taken for a link cut short. That includes links made before senders had a key:
  // nothing could tell their sender from any other holder of the link, and copying the
  // sender's link again gives one that can.
  if (secretBytes === null || secretBytes < SECRET_BYTES) return bad('incomplete');
  // Long enough, yet not whole base64url: a stray character, not a cut.
  if (secret.length % 4 === 1) return bad('damaged-secret');
  const keyBytes = partBytes(senderKey);
  if (rest.some((part) => part !== '') || (senderKey !== '' && keyBytes === null) || (keyBytes ?? 0) > SENDER_KEY_BYTES) return bad('damaged-key');
  if (keyBytes === null || keyBytes < SENDER_KEY_BYTES) return bad('incomplete');
  return { view: 'receive', address: { peerId, secret, senderKey } };
}
