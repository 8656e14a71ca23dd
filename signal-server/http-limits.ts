/**
 * Requests that cost the server something (a fresh TURN credential, a broker id),
 * limited per address: far above what a page needs (one of each per dial), far below
 * a flood.
 */
import type { RequestHandler } from 'express';
import { clientAddress } from './ip-address.ts';
import { RateLimiter } from './rate-limiter.ts';

const HTTP_LIMITS = { ratePerSecond: 2, burst: 30 };

/** A handler that lets a request through while its address is within HTTP_LIMITS, and answers 429 past them. */
export function limitedPerAddress(trustedProxies: ReadonlySet<string>): RequestHandler {
  const httpLimiter = new RateLimiter(HTTP_LIMITS);
  return (req, res, next) => {
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
    if (httpLimiter.allow(address)) return next();
    res.status(429).set({ 'Retry-After': '5', 'Cache-Control': 'no-store' }).type('text/plain').send('Too many requests\n');
  };
}
