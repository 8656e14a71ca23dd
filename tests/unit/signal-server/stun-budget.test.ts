// The STUN responder's budget (signal-server/stun-budget.ts) on a clock the test
// turns: what it bounds, and that a flood from many spoofed networks leaves the
// shared part for a client that is not in it.
import { describe, expect, it } from 'vitest';
import { networkKey, StunBudget, type StunBudgetOptions } from '../../../signal-server/stun-budget.ts';

const LIMITS: StunBudgetOptions = { ratePerSecond: 20, burst: 40, networkPerSecond: 100, networkBurst: 200, globalPerSecond: 1000, maxSources: 10_000 };

function budget(options: Partial<StunBudgetOptions> = {}) {
  const clock = { now: 0 };
  return { clock, budget: new StunBudget({ ...LIMITS, ...options, now: () => clock.now }) };
}

/** How many of `count` requests from `address` are answered. */
function answered(budget: StunBudget, address: string, count: number): number {
  let yes = 0;
  for (let i = 0; i < count; i++) if (budget.allow(address)) yes++;
  return yes;
}

/** 130 spoofed sources, each alone in its /24: the flood of the finding. */
const FLOOD = Array.from({ length: 130 }, (_, i) => `198.${Math.floor(i / 100) + 18}.${i % 100}.7`);

describe('networkKey', () => {
  it('is the /24 of an IPv4 address (also as a dual-stack socket reports it) and the /56 of an IPv6 one', () => {
    expect(networkKey('192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkKey('::ffff:192.0.2.1')).toBe('192.0.2.0/24');
    expect(networkKey('2001:db8:aa:bb01::1')).toBe(networkKey('2001:db8:aa:bbff:1:2:3:4'));
    expect(networkKey('2001:db8:aa:bb01::1')).not.toBe(networkKey('2001:db8:aa:cc01::1'));
  });
});

describe('StunBudget', () => {
  it('answers one client `burst` times at once, then at its rate', () => {
    const { clock, budget: stun } = budget();
    expect(answered(stun, '192.0.2.1', 100)).toBe(40);
    clock.now += 1000;
    expect(answered(stun, '192.0.2.1', 100)).toBe(20);
  });

  it('answers one network `networkBurst` times at once, however many addresses it spreads over', () => {
    const { budget: stun } = budget();
    let yes = 0;
    for (let host = 1; host < 255; host++) yes += answered(stun, `192.0.2.${host}`, 40);
    expect(yes).toBe(200);
    // The next network over is a different victim.
    expect(answered(stun, '192.0.3.1', 1)).toBe(1);
  });

  it('answers no more than the whole server’s budget a second, however many networks ask', () => {
    const { clock, budget: stun } = budget();
    const perSecond: number[] = [];
    for (let second = 0; second < 3; second++) {
      let yes = 0;
      for (let step = 0; step < 100; step++) {
        for (let n = 0; n < 600; n++) if (stun.allow(`10.${(n >> 8) + second * 4}.${n & 255}.1`)) yes++;
        clock.now += 10;
      }
      perSecond.push(yes);
    }
    // A second's worth at the start, then the refill rate.
    expect(perSecond[0]).toBeLessThanOrEqual(2000);
    for (const count of perSecond.slice(1)) expect(count).toBeLessThanOrEqual(1000 + 1);
  });

  it('keeps answering a client outside a flood of 130 sources that asks for more than the whole budget', () => {
    const { clock, budget: stun } = budget();
    let asked = 0;
    let heard = 0;
    // 3 s of flood: every source 40 requests every 100 ms (52,000 a second), and
    // the real client asking about every 250 ms, a browser's retransmission pace. In
    // the flood's very first instant its sources are new, like anyone: from the
    // next on they are the networks that ask most.
    for (let tick = 0; tick < 30; tick++) {
      for (const source of FLOOD) answered(stun, source, 40);
      if (tick > 0 && (tick % 2 === 0 || tick % 5 === 0)) {
        asked++;
        if (stun.allow('203.0.113.9')) heard++;
      }
      clock.now += 100;
    }
    expect(asked).toBeGreaterThan(10);
    expect(heard).toBe(asked);
  });

  it('also when the flood comes first and never stops, with the budget already spent', () => {
    const { clock, budget: stun } = budget();
    for (let tick = 0; tick < 10; tick++) {
      for (const source of FLOOD) answered(stun, source, 40);
      clock.now += 100;
    }
    for (const source of FLOOD) answered(stun, source, 40);
    expect(stun.allow('203.0.113.9')).toBe(true);
    expect(stun.allow('2001:db8:1::9')).toBe(true);
  });

  it('remembers at most maxSources clients and networks, and forgets the oldest rather than turn someone new away', () => {
    const { budget: stun } = budget({ maxSources: 50, globalPerSecond: 1e6 });
    for (let n = 0; n < 500; n++) stun.allow(`10.${n >> 8}.${n & 255}.1`);
    for (let n = 0; n < 500; n++) stun.allow(`172.16.${n % 256}.${1 + Math.floor(n / 256)}`);
    expect(stun.size.clients).toBeLessThanOrEqual(50);
    expect(stun.size.networks).toBeLessThanOrEqual(50);
    expect(stun.allow('203.0.113.9')).toBe(true);
  });

  it('refuses limits that could never answer anyone', () => {
    expect(() => new StunBudget({ ...LIMITS, globalPerSecond: 0 })).toThrow(/globalPerSecond must be at least 1/);
    expect(() => new StunBudget({ ...LIMITS, networkBurst: Number.NaN })).toThrow(/networkBurst/);
  });
});
