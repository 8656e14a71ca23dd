/**
 * Which web pages may use this server's broker. A browser lets any site open a
 * WebSocket anywhere; it only says which page asked, in `Origin`. Without a check
 * any site a person visits could use their browser (and address) to flood the
 * broker or to sit on a share's id.
 *
 * By default only pages served by this server itself count: the `Origin` names the
 * host the browser sent the request to (its `Host`). Behind a proxy that rewrites
 * `Host`, or to shut out DNS-rebinding names, list the public origins instead
 * (FERRY_ALLOWED_ORIGINS); then only those count.
 */

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
  if (allowedOrigins.length > 0) return allowedOrigins.includes(normal);
  if (host === undefined) return false;
  const scheme = new URL(normal).protocol;
  return normalOrigin(`${scheme}//${host}`) === normal;
}

/** A Host header we are willing to write into a response header. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

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
