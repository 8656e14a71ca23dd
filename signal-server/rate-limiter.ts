/**
 * Token buckets per source address, plus one for the whole server, in a table that
 * never grows past a set size. Used wherever one client must not be able to take
 * what everyone shares: broker connections, and the HTTP endpoints that do work per request. Budget is
 * one such bucket on its own, for something that has a single owner (a socket).
 */

export interface RateLimitOptions {
  /** Tokens per second each address earns. */
  ratePerSecond: number;
  /** Tokens an address may spend at once. */
  burst: number;
  /** Addresses tracked at most; beyond this new addresses are refused. Default 10,000. */
  maxSources?: number;
  /** Tokens per second for the whole server. Default: unlimited. */
  globalPerSecond?: number;
  /** Milliseconds on a monotonic clock; tests pass their own. */
  now?: () => number;
}

const DEFAULT_MAX_SOURCES = 10_000;
// How often a full table may be swept for idle buckets. Sweeping is O(table),
// so under a spoofed flood it must not run for every request.
const SWEEP_INTERVAL_MS = 1_000;

/** A token bucket: `tokens` as of `updated`, refilled lazily when looked at. */
class TokenBucket {
  constructor(
    public tokens: number,
    public updated: number,
  ) {}

  refill(now: number, perSecond: number, capacity: number): void {
    // max(0, …): a clock that steps backwards must not drain the bucket.
    const elapsed = Math.max(0, now - this.updated);
    this.tokens = Math.min(capacity, this.tokens + (elapsed * perSecond) / 1000);
    this.updated = now;
  }
}

/** One token bucket: `burst` at once, then `ratePerSecond`. */
export class Budget {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #bucket: TokenBucket;

  constructor({ ratePerSecond, burst, now = () => performance.now() }: Pick<RateLimitOptions, 'ratePerSecond' | 'burst' | 'now'>) {
    this.#ratePerSecond = positive('ratePerSecond', ratePerSecond);
    this.#burst = atLeastOne('burst', burst);
    this.#now = now;
    this.#bucket = new TokenBucket(this.#burst, now());
  }

  /** Whether `cost` tokens are there now (nothing spent). */
  has(cost = 1): boolean {
    this.#bucket.refill(this.#now(), this.#ratePerSecond, this.#burst);
    return this.#bucket.tokens >= cost;
  }

  /** Spends `cost` tokens, which has() just said are there. */
  spend(cost = 1): void {
    this.#bucket.tokens -= cost;
  }

  /** True, and `cost` spent, if there is enough; a refusal spends nothing. */
  allow(cost = 1): boolean {
    if (!this.has(cost)) return false;
    this.spend(cost);
    return true;
  }

  /** Whether the bucket is full again: its owner has been quiet long enough to be forgotten. */
  get full(): boolean {
    return this.has(this.#burst);
  }
}

/** Decides, per source address, whether something may be done now. */
export class RateLimiter {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #maxSources: number;
  readonly #globalPerSecond: number;
  readonly #now: () => number;
  readonly #sources = new Map<string, TokenBucket>();
  readonly #global: TokenBucket;
  #lastSweep = -Infinity;

  constructor(options: RateLimitOptions) {
    this.#ratePerSecond = positive('ratePerSecond', options.ratePerSecond);
    this.#burst = atLeastOne('burst', options.burst);
    this.#maxSources = atLeastOne('maxSources', options.maxSources ?? DEFAULT_MAX_SOURCES);
    this.#globalPerSecond = atLeastOne('globalPerSecond', options.globalPerSecond ?? Number.MAX_VALUE);
    this.#now = options.now ?? (() => performance.now());
    // The global bucket holds one second's worth: short peaks pass, floods do not.
    this.#global = new TokenBucket(this.#globalPerSecond, this.#now());
  }

  /** Source addresses currently tracked (never more than maxSources). */
  get size(): number {
    return this.#sources.size;
  }

  /**
   * True, and `cost` tokens spent from both buckets, if `address` may go ahead now.
   * A refusal spends nothing, so a client that backs off recovers at the full rate.
   */
  allow(address: string, cost = 1): boolean {
    const now = this.#now();
    let bucket = this.#sources.get(address);
    if (bucket === undefined) {
      if (this.#sources.size >= this.#maxSources) this.#sweep(now);
      // Still full: refuse rather than grow. Real clients are rarely refused —
      // a bucket is freed once its owner has been quiet for burst/rate seconds.
      if (this.#sources.size >= this.#maxSources) return false;
      bucket = new TokenBucket(this.#burst, now);
      this.#sources.set(address, bucket);
    } else {
      bucket.refill(now, this.#ratePerSecond, this.#burst);
    }
    this.#global.refill(now, this.#globalPerSecond, this.#globalPerSecond);
    if (bucket.tokens < cost || this.#global.tokens < cost) return false;
    bucket.tokens -= cost;
    this.#global.tokens -= cost;
    return true;
  }

  /** Forgets buckets that would be full by now: their owners have been idle long enough. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [address, bucket] of this.#sources) {
      bucket.refill(now, this.#ratePerSecond, this.#burst);
      if (bucket.tokens >= this.#burst) this.#sources.delete(address);
    }
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`rate limit ${name} must be a positive number, got ${value}`);
  return value;
}

function atLeastOne(name: string, value: number): number {
  if (!(value >= 1)) throw new RangeError(`rate limit ${name} must be at least 1, got ${value}`);
  return value;
}
