import { describe, expect, it } from 'vitest';
import { Budget, RateLimiter } from '../../../signal-server/rate-limiter.ts';

describe('RateLimiter', () => {
  it('gives each address `burst` answers at once, then `ratePerSecond`', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 5, now: () => now });
    const allowed = (count: number) => Array.from({ length: count }, () => limiter.allow('a')).filter(Boolean).length;
    expect(allowed(20)).toBe(5);
    expect(limiter.allow('b')).toBe(true); // another address has its own bucket
    now += 1000;
    expect(allowed(20)).toBe(2);
    now += 60_000;
    expect(allowed(20)).toBe(5); // refills to burst, not beyond
  });

  it('caps answers for the whole server, however many addresses ask', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 20, burst: 40, globalPerSecond: 50, now: () => now });
    const allowed = (from: number) =>
      Array.from({ length: 100 }, (_, index) => limiter.allow(`10.0.0.${from + index}`)).filter(Boolean).length;
    expect(allowed(0)).toBe(50);
    now += 100;
    expect(allowed(100)).toBe(5);
  });

  it('never tracks more than maxSources addresses, and frees idle ones', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 10, maxSources: 100, globalPerSecond: 1e9, now: () => now });
    for (let index = 0; index < 10_000; index++) limiter.allow(`spoofed-${index}`);
    expect(limiter.size).toBe(100);
    // Full of busy buckets: a new address is refused rather than the table grown.
    expect(limiter.allow('newcomer')).toBe(false);
    expect(limiter.size).toBe(100);
    // Once the flood's buckets have refilled (burst / rate = 1 s), they are swept.
    now += 1500;
    expect(limiter.allow('newcomer')).toBe(true);
    expect(limiter.size).toBe(1);
  });

  it('charges a cost per call, and a refusal costs nothing', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 10, now: () => now });
    expect(limiter.allow('a', 8)).toBe(true);
    expect(limiter.allow('a', 3)).toBe(false);
    expect(limiter.allow('a', 2)).toBe(true);
    now += 500;
    expect(limiter.allow('a', 5)).toBe(true);
  });

  it('rejects nonsense settings', () => {
    expect(() => new RateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(/ratePerSecond/);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst/);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 1, globalPerSecond: Number.NaN })).toThrow(/globalPerSecond/);
  });
});

describe('Budget', () => {
  it('is one bucket: burst at once, then the rate; a refusal spends nothing; full once refilled', () => {
    let now = 0;
    const budget = new Budget({ ratePerSecond: 4, burst: 8, now: () => now });
    expect(budget.allow(6)).toBe(true);
    expect(budget.allow(3)).toBe(false);
    expect(budget.has(2)).toBe(true);
    budget.spend(2);
    expect(budget.allow()).toBe(false);
    expect(budget.full).toBe(false);
    now += 1000;
    expect(budget.allow(4)).toBe(true);
    now += 2000;
    expect(budget.full).toBe(true);
  });
});
