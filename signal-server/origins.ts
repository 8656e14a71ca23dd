/**
 * Which web pages may use this server's broker. A browser lets any site open a
 * WebSocket anywhere; it only says which page asked, in `Origin`. Without a check
 * any site a person visits could use their browser (and address) to flood the
 * broker or to sit on a share's id.
 *
 * By default only pages served by this server itself count: the `Origin` names the
 * host the browser sent the request to (its `Host`). To serve under a name, list the
 * public origins (FERRY_ALLOWED_ORIGINS); then only those count.
 *
 * And only names the operator chose count as this server's (servesHost): an IP
 * address, localhost, or a host in FERRY_ALLOWED_ORIGINS. Otherwise a site could
 * point its own name at the server's address (DNS rebinding) and its pages, now
 * "served by this server", would pass every check above.
 */
import net from 'node:net';

/** "https://Ferry.example:443/" → "https://ferry.example"; null when it is not an http(s) origin. */
export function normalOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin;
}

/**
 * Whether a request carrying `origin` and `host` headers comes from one of Ferry's
 * own pages. No `Origin` at all is not a web page (browsers always send it on a
 * WebSocket), so the check has nothing to protect there: a program can say anything.
 */
export function isOwnOrigin(
  origin: string | undefined,
  host: string | undefined,
  allowedOrigins: readonly string[],
): boolean {
  if (origin === undefined) return true;
  const normal = normalOrigin(origin);
  if (normal === null) return false; // "null" (sandboxed frames, file:) or junk
  if (host === undefined || !servesHost(host, allowedOrigins)) return false;
  if (allowedOrigins.length > 0) return allowedOrigins.includes(normal);
  const scheme = new URL(normal).protocol;
  return normalOrigin(`${scheme}//${host}`) === normal;
}

/** A Host header we are willing to write into a response header. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * Whether a request's `Host` names this server as the operator set it up: an IP
 * literal (no DNS involved, so nobody else's name), localhost (browsers never ask
 * DNS for it), or the host of an allowed origin. The port does not matter: a name
 * that is the operator's is theirs on every port.
 */
export function servesHost(host: string, allowedOrigins: readonly string[]): boolean {
  const name = /^(\[[^\]]*\]|[^:[\]]*)(?::\d*)?$/.exec(host)?.[1]?.toLowerCase();
  if (name === undefined || name === '') return false;
  if (net.isIPv4(name) || (name.startsWith('[') && net.isIPv6(name.slice(1, -1)))) return true;
  if (name === 'localhost') return true;
  return allowedOrigins.some((origin) => new URL(origin).hostname === name);
}

/**
 * The CSP `connect-src` for a page: its own origin and that origin's WebSocket —
 * named explicitly, because some browsers do not count ws: as 'self'.
 */
export function connectSources(host: string | undefined, allowedOrigins: readonly string[]): string {
  const sockets =
    allowedOrigins.length > 0
      ? allowedOrigins.map((origin) => origin.replace(/^http/, 'ws'))
      : host !== undefined && SAFE_HOST.test(host)
        ? // Behind a TLS proxy this server cannot tell which scheme the page has.
          [`ws://${host}`, `wss://${host}`]
        : [];
  return ["'self'", ...sockets].join(' ');
}

/**
 * The page for a request whose Host this server does not serve: what to set, with the
 * name filled in when it is safe to repeat (it is the client's text, shown as plain text).
 */
export function unservedHostMessage(host: string): string {
  const name = SAFE_HOST.test(host) ? host : 'that name';
  const example = SAFE_HOST.test(host) ? `https://${host}` : 'https://ferry.example';
  return (
    `This Ferry server does not answer to ${name}.\n\n` +
    `If that is the address people open, tell the server: set FERRY_ALLOWED_ORIGINS=${example} ` +
    '(the address as the browser shows it; several separated by commas) and restart it. ' +
    'Behind a reverse proxy, let the proxy pass the Host header on.\n\n' +
    'Until then it answers only to IP addresses and localhost, so that no other website can reach it ' +
    'by pointing its own name at this address (DNS rebinding).\n'
  );
}
