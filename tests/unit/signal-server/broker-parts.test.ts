// The broker guard's parts, each on its own with a fake clock.
import { describe, expect, it } from 'vitest';
import { HeldMessages } from '../../../signal-server/held-messages.ts';
import { IdOwners } from '../../../signal-server/id-owners.ts';
import { InboundLimit } from '../../../signal-server/inbound-limit.ts';
import { addressKey, clientAddress } from '../../../signal-server/ip-address.ts';
import { connectSources, isOwnOrigin } from '../../../signal-server/origins.ts';
import { REPLIES_PER_OFFER, ReplyCredits } from '../../../signal-server/reply-credits.ts';

describe('IdOwners', () => {
  const clock = () => {
    const state = { now: 0 };
    return { state, now: () => state.now };
  };

  it('lets only the owning token use an id, live or within the grace period', () => {
    const { state, now } = clock();
    const owners = new IdOwners<string>({ graceMs: 1000, maxReserved: 10, now });
    expect(owners.mayUse('a', 't1')).toBe(true);
    owners.attach('a', 't1', 'socket1');
    expect(owners.mayUse('a', 't2')).toBe(false);
    expect(owners.socketOf('a')).toBe('socket1');

    owners.detach('a', 'socket1');
    expect(owners.socketOf('a')).toBeUndefined();
    expect(owners.reserved).toBe(1);
    state.now = 999;
    expect(owners.mayUse('a', 't2')).toBe(false);
    expect(owners.mayUse('a', 't1')).toBe(true);
    state.now = 1000;
    expect(owners.mayUse('a', 't2')).toBe(true);
    expect(owners.reserved).toBe(0);
  });

  it('ignores the close of a socket the id has since moved away from', () => {
    const owners = new IdOwners<string>({ graceMs: 1000, maxReserved: 10, now: () => 0 });
    owners.attach('a', 't', 'old');
    owners.attach('a', 't', 'new'); // the same owner reconnected before the old socket closed
    owners.detach('a', 'old');
    expect(owners.socketOf('a')).toBe('new');
    expect(owners.connected).toBe(1);
  });

  it('keeps at most maxReserved reservations, dropping the oldest, and sweeps expired ones', () => {
    const { state, now } = clock();
    const owners = new IdOwners<number>({ graceMs: 100, maxReserved: 3, now });
    for (let n = 0; n < 5; n++) {
      owners.attach(`id${n}`, 't', n);
      state.now += 10;
      owners.detach(`id${n}`, n);
    }
    expect(owners.reserved).toBe(3);
    expect(owners.mayUse('id0', 'other')).toBe(true);
    expect(owners.mayUse('id4', 'other')).toBe(false);
    owners.attach('live', 't', 99);
    state.now += 1000;
    owners.sweep();
    expect(owners.reserved).toBe(0);
    expect(owners.connected).toBe(1);
  });
});

describe('HeldMessages', () => {
  const message = (src: string, dst: string, size = 10) => ({ src, dst, text: 'x'.repeat(size) });

  it('holds within the per-destination count and byte caps and the total cap', () => {
    const held = new HeldMessages({ holdMs: 1000, maxPerDestination: 2, maxBytesPerDestination: 100, maxTotalBytes: 150, now: () => 0 });
    expect(held.hold(message('s', 'a'))).toBe(true);
    expect(held.hold(message('s', 'a'))).toBe(true);
    expect(held.hold(message('s', 'a'))).toBe(false); // count
    expect(held.hold(message('s', 'b', 101))).toBe(false); // bytes for one destination
    expect(held.hold(message('s', 'b', 100))).toBe(true);
    expect(held.hold(message('s', 'c', 31))).toBe(false); // total
    expect(held.bytes).toBe(120);
  });

  it('hands a destination its messages in order when it connects', () => {
    const held = new HeldMessages({ holdMs: 1000, maxPerDestination: 5, maxBytesPerDestination: 100, maxTotalBytes: 100, now: () => 0 });
    held.hold({ src: 's', dst: 'a', text: '1' });
    held.hold({ src: 's', dst: 'a', text: '2' });
    expect(held.take('a').map((m) => m.text)).toEqual(['1', '2']);
    expect(held.take('a')).toEqual([]);
    expect(held.bytes).toBe(0);
  });

  it('expires queues after holdMs, naming each (sender, destination) pair once', () => {
    let now = 0;
    const held = new HeldMessages({ holdMs: 1000, maxPerDestination: 5, maxBytesPerDestination: 100, maxTotalBytes: 100, now: () => now });
    held.hold(message('s1', 'a'));
    held.hold(message('s1', 'a'));
    held.hold(message('s2', 'a'));
    now = 500;
    held.hold(message('s1', 'b'));
    now = 1000;
    expect(held.expire()).toEqual([{ src: 's1', dst: 'a' }, { src: 's2', dst: 'a' }]);
    now = 1500;
    expect(held.expire()).toEqual([{ src: 's1', dst: 'b' }]);
    expect(held.bytes).toBe(0);
  });
});

describe('InboundLimit', () => {
  const limits = { inboundMessagesPerSecond: 8, inboundMessageBurst: 40, inboundBytesPerSecond: 800, inboundByteBurst: 4_000 };
  const allowed = (limit: InboundLimit, source: string, count: number, bytes = 1) =>
    Array.from({ length: count }, () => limit.allow(source, bytes)).filter(Boolean).length;

  it('gives each sending address a quarter of what one destination is relayed, and caps all of them together', () => {
    let now = 0;
    const limit = new InboundLimit(limits, () => now);
    expect(allowed(limit, 'a', 100)).toBe(10);
    expect(allowed(limit, 'b', 100)).toBe(10);
    expect(allowed(limit, 'c', 100)).toBe(10);
    expect(allowed(limit, 'd', 5)).toBe(5);
    expect(allowed(limit, 'e', 100)).toBe(5); // the rest of the 40
    now += 1000; // 8 more for the destination, 2 for each address
    expect(allowed(limit, 'a', 100)).toBe(2);
    expect(allowed(limit, 'f', 100)).toBe(6);
  });

  it('counts bytes as well as messages, and a refusal counts nothing', () => {
    const limit = new InboundLimit(limits, () => 0);
    expect(limit.allow('a', 1_001)).toBe(false); // past a quarter of 4,000 bytes
    expect(allowed(limit, 'a', 3, 300)).toBe(3);
    expect(limit.allow('a', 101)).toBe(false);
    expect(limit.allow('a', 100)).toBe(true);
  });

  it('tracks at most 16 sending addresses, making room as quiet ones refill', () => {
    let now = 0;
    const limit = new InboundLimit({ ...limits, inboundMessageBurst: 1_000, inboundMessagesPerSecond: 1_000 }, () => now);
    for (let n = 0; n < 16; n++) expect(limit.allow(`spoofed${n}`, 1)).toBe(true);
    expect(limit.allow('newcomer', 1)).toBe(false);
    now += 10_000;
    expect(limit.allow('newcomer', 1)).toBe(true);
  });
});

describe('ReplyCredits', () => {
  it('owes the offerer a bounded number of replies on the offer’s connection, for a while', () => {
    let now = 0;
    const credits = new ReplyCredits({ windowMs: 1_000, maxGrants: 10, now: () => now });
    expect(credits.use('sender', 'receiver', 'dc_1')).toBe(false);
    credits.grant('sender', 'receiver', 'dc_1');
    expect(credits.use('receiver', 'sender', 'dc_1')).toBe(false); // the other way round
    expect(credits.use('sender', 'receiver', 'dc_2')).toBe(false);
    expect(credits.use('sender', 'someone', 'dc_1')).toBe(false);
    const used = Array.from({ length: 100 }, () => credits.use('sender', 'receiver', 'dc_1')).filter(Boolean).length;
    expect(used).toBe(REPLIES_PER_OFFER);

    credits.grant('sender', 'receiver', 'dc_3');
    now = 1_000;
    expect(credits.use('sender', 'receiver', 'dc_3')).toBe(false);
  });

  it('keeps at most maxGrants, dropping the oldest, and sweeps expired ones', () => {
    let now = 0;
    const credits = new ReplyCredits({ windowMs: 1_000, maxGrants: 3, now: () => now });
    for (let n = 0; n < 5; n++) credits.grant('sender', `offerer${n}`, 'dc');
    expect(credits.size).toBe(3);
    expect(credits.use('sender', 'offerer1', 'dc')).toBe(false);
    expect(credits.use('sender', 'offerer4', 'dc')).toBe(true);
    now = 1_000;
    credits.sweep();
    expect(credits.size).toBe(0);
  });
});

describe('client addresses', () => {
  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb::2'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
  });

  it('believes X-Forwarded-For only from a trusted proxy, and only its own hop', () => {
    const proxies = new Set(['127.0.0.1']);
    expect(clientAddress('10.0.0.9', '1.2.3.4', proxies)).toBe('10.0.0.9');
    expect(clientAddress('127.0.0.1', '1.2.3.4', proxies)).toBe('1.2.3.4');
    // The client wrote the first entry itself; the proxy appended the real one.
    expect(clientAddress('::ffff:127.0.0.1', 'forged, 5.6.7.8', proxies)).toBe('5.6.7.8');
    expect(clientAddress('127.0.0.1', '5.6.7.8, 127.0.0.1', proxies)).toBe('5.6.7.8');
    expect(clientAddress('127.0.0.1', 'junk', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
  });
});

describe('origins', () => {
  it('takes pages of the host the request was sent to, no Origin at all, or the listed origins', () => {
    expect(isOwnOrigin('http://192.168.1.5:8080', '192.168.1.5:8080', [])).toBe(true);
    expect(isOwnOrigin('https://localhost', 'localhost', [])).toBe(true);
    expect(isOwnOrigin('https://localhost', 'localhost:443', [])).toBe(true);
    expect(isOwnOrigin('https://evil.example', 'localhost', [])).toBe(false);
    expect(isOwnOrigin('http://10.0.0.1:8081', '10.0.0.1:8080', [])).toBe(false);
    expect(isOwnOrigin('null', 'localhost', [])).toBe(false);
    expect(isOwnOrigin('https://localhost', undefined, [])).toBe(false);
    expect(isOwnOrigin(undefined, 'ferry.example', [])).toBe(true);
    // A name only once the operator lists it (DNS rebinding: served-hosts.test.ts).
    expect(isOwnOrigin('https://ferry.example', 'ferry.example', [])).toBe(false);
    expect(isOwnOrigin('https://ferry.example', 'ferry.example', ['https://ferry.example'])).toBe(true);
    expect(isOwnOrigin('https://ferry.example', '127.0.0.1:8080', ['https://ferry.example'])).toBe(true);
    expect(isOwnOrigin('http://127.0.0.1:8080', '127.0.0.1:8080', ['https://ferry.example'])).toBe(false);
  });

  it('names the page’s own websocket in connect-src, and never echoes a hostile Host', () => {
    expect(connectSources('ferry.example:8080', [])).toBe("'self' ws://ferry.example:8080 wss://ferry.example:8080");
    expect(connectSources('[::1]:8080', [])).toBe("'self' ws://[::1]:8080 wss://[::1]:8080");
    expect(connectSources("x; script-src 'unsafe-inline'", [])).toBe("'self'");
    expect(connectSources(undefined, [])).toBe("'self'");
    expect(connectSources('internal', ['https://ferry.example'])).toBe("'self' wss://ferry.example");
  });
});
