// The ICE servers each page is given in /api/config: Ferry's own STUN responder at
// the address the page was loaded from, a TURN relay with credentials minted for
// this request, and whatever the operator listed in FERRY_ICE_SERVERS.

import { createHmac, randomBytes } from 'node:crypto';
import { isLoopback, type IceServer, type ServerConfig } from './config.ts';

/** What /api/config answers. */
export interface ClientIceConfig {
  iceServers: IceServer[];
  /**
   * Seconds the minted TURN credentials stay valid, when there are any: a page that
   * stays open longer (a sender waiting for receivers) fetches new ones before then.
   */
  ttl?: number;
}

/**
 * coturn's "TURN REST API" credentials (`use-auth-secret`): the username carries its
 * own expiry, the password is an HMAC of the username under the shared secret, so
 * coturn checks them with no database and they stop working by themselves.
 */
export function mintTurnCredential(
  secret: string,
  ttlSeconds: number,
  now = Date.now(),
): { username: string; credential: string } {
  const expiry = Math.floor(now / 1000) + ttlSeconds;
  // The random part keeps two visitors' usernames apart in coturn's logs and quotas.
  const username = `${expiry}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/**
 * `host` is the Host header the page was requested with: the name under which this
 * server is reachable from that browser, so also where our STUN responder is.
 */
export function clientIceConfig(
  config: Pick<ServerConfig, 'iceServers' | 'stun' | 'turn'>,
  host: string | undefined,
  now = Date.now(),
): ClientIceConfig {
  const iceServers: IceServer[] = [];
  const stunHost = config.stun && host !== undefined ? hostnameOf(host) : null;
  // A responder on loopback cannot answer a page loaded by another name (through a proxy).
  const reachable = config.stun && stunHost && (!isLoopback(config.stun.host) || isLoopback(stunHost.replace(/^\[|\]$/g, '')));
  if (config.stun && stunHost && reachable) iceServers.push({ urls: `stun:${stunHost}:${config.stun.port}` });
  if (config.turn) {
    iceServers.push({ urls: [...config.turn.urls], ...mintTurnCredential(config.turn.secret, config.turn.ttlSeconds, now) });
  }
  iceServers.push(...config.iceServers);
  return config.turn ? { iceServers, ttl: config.turn.ttlSeconds } : { iceServers };
}

/**
 * The host name (or bracketed IPv6 literal) of a Host header, or null if it is not
 * one: the header comes from the client, and only a plain name may go into a URL
 * that another part of the browser parses.
 */
export function hostnameOf(host: string): string | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(host.trim());
  if (!match || match[1]!.length > 253) return null;
  return match[1]!.toLowerCase();
}
