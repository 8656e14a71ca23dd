import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, loadConfig } from '../../../signal-server/config.ts';
import { clientIceConfig, hostnameOf, mintTurnCredential } from '../../../signal-server/ice.ts';

const SECRET = 'coturn-static-auth-secret';
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe('mintTurnCredential', () => {
  it('makes coturn REST credentials: <expiry>:<random>, base64(HMAC-SHA1(secret, username))', () => {
    const { username, credential } = mintTurnCredential(SECRET, 3600, NOW);
    const [expiry, random] = username.split(':');
    expect(Number(expiry)).toBe(NOW / 1000 + 3600);
    expect(random).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(credential).toBe(createHmac('sha1', SECRET).update(username).digest('base64'));
  });

  it('gives every request a username of its own, expiring ttl seconds after it was minted', () => {
    const first = mintTurnCredential(SECRET, 60, NOW);
    const second = mintTurnCredential(SECRET, 60, NOW);
    expect(first.username).not.toBe(second.username);
    const later = mintTurnCredential(SECRET, 60, NOW + 5 * 60_000);
    expect(Number(later.username.split(':')[0]) - Number(first.username.split(':')[0])).toBe(300);
  });

  it('does not verify under another secret', () => {
    const { username, credential } = mintTurnCredential(SECRET, 60, NOW);
    expect(createHmac('sha1', 'wrong').update(username).digest('base64')).not.toBe(credential);
  });
});

describe('clientIceConfig', () => {
  const turn = { urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'], secret: SECRET, ttlSeconds: 600 };

  it('without TURN: our STUN at the host the page came from, then the operator’s servers', () => {
    const config = clientIceConfig({ iceServers: [{ urls: 'stun:other.example:3478' }], stun: { host: '0.0.0.0', port: 3478 } }, 'ferry.example.org:8443');
    expect(config).toEqual({ iceServers: [{ urls: 'stun:ferry.example.org:3478' }, { urls: 'stun:other.example:3478' }] });
  });

  it('with TURN: fresh credentials valid for the TTL, and the TTL for the page to renew them', () => {
    const config = clientIceConfig({ iceServers: [], stun: { host: '0.0.0.0', port: 3478 }, turn }, 'ferry.example.org', NOW);
    expect(config.ttl).toBe(600);
    const relay = config.iceServers[1]!;
    expect(relay.urls).toEqual(turn.urls);
    expect(Number(relay.username!.split(':')[0])).toBe(NOW / 1000 + 600);
    expect(relay.credential).toBe(createHmac('sha1', SECRET).update(relay.username!).digest('base64'));
    expect(JSON.stringify(config)).not.toContain(SECRET);
  });

  it('lists no STUN when it is off, or when the Host header is not a host name', () => {
    expect(clientIceConfig({ iceServers: [] }, 'ferry.example.org').iceServers).toEqual([]);
    for (const host of ['evil.example/?x', 'a b', '', 'x:y:z', undefined]) {
      expect(clientIceConfig({ iceServers: [], stun: { host: '0.0.0.0', port: 3478 } }, host).iceServers).toEqual([]);
    }
  });

  it('does not send pages from elsewhere to a responder on loopback (behind a proxy)', () => {
    const onLoopback = { iceServers: [], stun: { host: '127.0.0.1', port: 3478 } };
    expect(clientIceConfig(onLoopback, 'ferry.example.org').iceServers).toEqual([]);
    expect(clientIceConfig(onLoopback, 'localhost:8080').iceServers).toEqual([{ urls: 'stun:localhost:3478' }]);
    expect(clientIceConfig(onLoopback, '[::1]:8080').iceServers).toEqual([{ urls: 'stun:[::1]:3478' }]);
  });

  it('keeps IPv6 literals bracketed', () => {
    expect(hostnameOf('[2001:db8::1]:8080')).toBe('[2001:db8::1]');
    expect(hostnameOf('203.0.113.1:80')).toBe('203.0.113.1');
    expect(hostnameOf('Ferry.Example.ORG')).toBe('ferry.example.org');
  });
});

describe('loadConfig: STUN and TURN', () => {
  it('answers STUN on 3478 by default, elsewhere with FERRY_STUN_PORT, not at all with 0', () => {
    expect(loadConfig([], {}).stun).toEqual({ host: '127.0.0.1', port: 3478 });
    expect(loadConfig([], { FERRY_HOST: '0.0.0.0', FERRY_STUN_PORT: '3479' }).stun).toEqual({ host: '0.0.0.0', port: 3479 });
    // Behind a proxy: HTTP on loopback, STUN facing the world.
    expect(loadConfig([], { FERRY_HOST: '127.0.0.1', FERRY_STUN_HOST: '[::]' }).stun).toEqual({ host: '::', port: 3478 });
    expect(loadConfig([], { FERRY_STUN_PORT: '0' }).stun).toBeUndefined();
    expect(() => loadConfig([], { FERRY_STUN_PORT: 'x' })).toThrow(/FERRY_STUN_PORT/);
  });

  it('reads the relay: URLs, secret and a TTL of one day unless told otherwise', () => {
    const env = { FERRY_TURN_URLS: 'turn:t.example:3478?transport=udp, turns:t.example:5349', FERRY_TURN_SECRET: SECRET };
    expect(loadConfig([], env).turn).toEqual({
      urls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'],
      secret: SECRET,
      ttlSeconds: 86_400,
    });
    expect(loadConfig([], { ...env, FERRY_TURN_TTL: '3600' }).turn?.ttlSeconds).toBe(3600);
  });

  it.each([
    [{ FERRY_TURN_URLS: 'turn:t:3478' }, /only FERRY_TURN_URLS is set/],
    [{ FERRY_TURN_SECRET: 's' }, /only FERRY_TURN_SECRET is set/],
    [{ FERRY_TURN_URLS: 'stun:t:3478', FERRY_TURN_SECRET: 's' }, /must be a turn: or turns: URL/],
    [{ FERRY_TURN_URLS: ' , ', FERRY_TURN_SECRET: 's' }, /lists no URL/],
    [{ FERRY_TURN_URLS: 'turn:t', FERRY_TURN_SECRET: 's', FERRY_TURN_TTL: '10' }, /FERRY_TURN_TTL/],
    [{ FERRY_TURN_URLS: 'turn:t', FERRY_TURN_SECRET: 's', FERRY_TURN_TTL: '1d' }, /FERRY_TURN_TTL/],
    [{ FERRY_TURN_TTL: '600' }, /FERRY_TURN_TTL is set but/],
  ])('rejects an incomplete or bad relay: %j', (env, message) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError);
    expect(() => loadConfig([], env)).toThrow(message);
  });

  it('never puts the secret in an error message', () => {
    try {
      loadConfig([], { FERRY_TURN_URLS: 'http://x', FERRY_TURN_SECRET: 'hunter2-secret' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2-secret');
    }
  });

  it('warns about a static TURN password handed to every visitor, and only about that', () => {
    const servers = [{ urls: 'stun:s:3478' }, { urls: ['turn:t:3478'], username: 'u', credential: 'p' }];
    const env = { FERRY_HOST: '0.0.0.0', FERRY_ICE_SERVERS: JSON.stringify(servers) };
    const warnings = configWarnings(loadConfig([], env));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/FERRY_ICE_SERVERS\[1\].*same TURN password.*FERRY_TURN_SECRET/);
    expect(warnings[0]).not.toContain('"p"');
    expect(configWarnings(loadConfig([], { ...env, FERRY_ICE_SERVERS: JSON.stringify([servers[0]]) }))).toEqual([]);
  });

  it('warns when STUN can answer this machine only', () => {
    expect(configWarnings(loadConfig([], {}))).toEqual([expect.stringMatching(/STUN answers on 127\.0\.0\.1 only.*FERRY_STUN_HOST=0\.0\.0\.0/)]);
    expect(configWarnings(loadConfig([], { FERRY_STUN_HOST: '0.0.0.0' }))).toEqual([]);
    expect(configWarnings(loadConfig([], { FERRY_STUN_PORT: '0' }))).toEqual([]);
  });
});
