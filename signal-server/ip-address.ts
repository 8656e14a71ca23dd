/** IP addresses as bytes, and the key that stands for one client when counting per address. */
import net from 'node:net';

/**
 * The 4 or 16 bytes of an address as Node reports it, or null if it is not an
 * IP address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d — what a dual-stack
 * socket reports for an IPv4 sender) comes back as the 4 IPv4 bytes: the client
 * sent over IPv4, and its ICE candidate must be the IPv4 address.
 */
export function addressBytes(address: string): Uint8Array | null {
  if (typeof address !== 'string') return null;
  // A link-local source carries a zone ("fe80::1%eth0"); it is not on the wire.
  const bare = address.split('%')[0] ?? '';
  if (net.isIPv4(bare)) return ipv4Bytes(bare);
  if (!net.isIPv6(bare)) return null;
  const bytes = ipv6Bytes(bare);
  if (bytes === null) return null;
  const isMapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return isMapped ? bytes.subarray(12) : bytes;
}

function ipv4Bytes(address: string): Uint8Array | null {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return null;
  return Uint8Array.from(parts);
}

/** Parses an address net.isIPv6 accepted: groups of hex, at most one "::", maybe a dotted IPv4 tail. */
function ipv6Bytes(address: string): Uint8Array | null {
  let text = address;
  // Rewrite a dotted IPv4 tail ("::ffff:1.2.3.4") as two hex groups.
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':');
    const tail = ipv4Bytes(text.slice(cut + 1));
    if (tail === null) return null;
    const high = ((tail[0] ?? 0) << 8) | (tail[1] ?? 0);
    const low = ((tail[2] ?? 0) << 8) | (tail[3] ?? 0);
    text = `${text.slice(0, cut + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string | undefined) => (half ? half.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];

  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  }
  return bytes;
}

/**
 * Who counts as one client for per-address limits: an IPv4 address, or an IPv6 /64.
 * One home or phone gets a whole /64 and picks addresses from it at will, so per
 * single IPv6 address a client could mint as many "addresses" as it liked.
 */
export function addressKey(address: string): string {
  const bytes = addressBytes(address);
  if (bytes === null) return address;
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 8; index += 2) groups.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  return `${groups.join(':')}::/64`;
}

/**
 * The client behind a request, as an addressKey. Behind a reverse proxy every
 * request comes from the proxy, so when the peer is one of `trustedProxies` the
 * client is the last X-Forwarded-For hop the proxies did not add themselves.
 * Nobody else's X-Forwarded-For is believed: a client could write anything there.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: ReadonlySet<string>,
): string {
  const remote = bare(remoteAddress ?? '');
  if (!trustedProxies.has(remote) || forwardedFor === undefined) return addressKey(remote);
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((hop) => bare(hop.trim()));
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index]!;
    if (!net.isIP(hop)) break; // garbage from the client side: stop believing
    if (!trustedProxies.has(hop)) return addressKey(hop);
  }
  return addressKey(remote);
}

/** "::ffff:10.0.0.1" as "10.0.0.1", so one client has one spelling. */
export function bare(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}
