/**
 * Share links: `<origin>/#/r/<senderPeerId>/<secret>`. The secret sits in the
 * fragment, which browsers never send to a server.
 */
export const SECRET_BYTES = 16;
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

/** A broker id the link can carry: letters and digits only, so it needs no escaping. */
export function newPeerId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  // 256 % 36 leaves a slight bias; irrelevant for an id that only needs to be unique.
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

export function shareLink(origin: string, peerId: string, secret: string): string {
  return `${origin}/#/r/${peerId}/${secret}`;
}

export type Route =
  | { view: 'send' }
  | { view: 'receive'; peerId: string; secret: string }
  | { view: 'bad-link'; reason: string };

/** Reads the app's route from `location.hash`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { view: 'send' };
  const parts = path.split('/');
  if (parts[1] !== 'r') return { view: 'send' };
  const [, , peerId = '', secret = '', ...rest] = parts;
  if (!PEER_ID.test(peerId)) return { view: 'bad-link', reason: 'The link has no valid sender id.' };
  if (!secret) return { view: 'bad-link', reason: 'The link is missing its secret part.' };
  let secretBytes: Uint8Array | null = null;
  try {
    secretBytes = fromBase64url(secret);
  } catch {
    // reported below
  }
  if (!secretBytes || secretBytes.length < SECRET_BYTES || rest.some((part) => part !== '')) {
    return { view: 'bad-link', reason: 'The link’s secret part is damaged.' };
  }
  return { view: 'receive', peerId, secret };
}
