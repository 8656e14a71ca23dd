import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { maxPeersFor, processLimits } from '../../../signal-server/capacity.ts';
import { ConfigError, configWarnings, loadConfig, type ServerConfig } from '../../../signal-server/config.ts';
import type { ClientIceConfig } from '../../../signal-server/ice.ts';
import { startServer, type RunningServer } from '../../../signal-server/server.ts';

describe('loadConfig', () => {
  it('has safe defaults: loopback, 8080, no ICE servers, no TLS, the repo dist/', () => {
    const config = loadConfig([], {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.iceServers).toEqual([]);
    expect(config.tls).toBeUndefined();
    expect(config.staticDir).toBe(path.resolve(import.meta.dirname, '../../../dist') + path.sep);
  });

  it('reads the environment', () => {
    const config = loadConfig([], {
      FERRY_HOST: '0.0.0.0',
      FERRY_PORT: '9000',
      FERRY_STATIC_DIR: '/srv/ferry',
    });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 9000, staticDir: '/srv/ferry' });
  });

  it('lets flags beat the environment, in both --flag value and --flag=value forms', () => {
    const env = { FERRY_HOST: '10.0.0.1', FERRY_PORT: '7000' };
    expect(loadConfig(['--host', '::', '--port', '0'], env)).toMatchObject({ host: '::', port: 0 });
    expect(loadConfig(['--host=[::1]', '--port=1234'], env)).toMatchObject({ host: '::1', port: 1234 });
  });

  it.each([
    [['--port', '70000'], {}, /--port.*0 to 65535.*70000/],
    [['--port=abc'], {}, /--port/],
    [[], { FERRY_PORT: '-1' }, /FERRY_PORT/],
    [[], { FERRY_PORT: '80.5' }, /FERRY_PORT/],
    [['--port'], {}, /--port needs a value/],
    [['--host', '--port', '1'], {}, /--host needs a value/],
    [['--verbose'], {}, /unknown argument "--verbose"/],
  ])('rejects bad ports and flags: %j %j', (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it('parses and cleans FERRY_ICE_SERVERS', () => {
    const servers = [
      { urls: 'stun:stun.example.lan:3478' },
      { urls: ['turn:turn.example.lan:3478', 'turns:turn.example.lan:5349'], username: 'u', credential: 'p' },
    ];
    expect(loadConfig([], { FERRY_ICE_SERVERS: JSON.stringify(servers) }).iceServers).toEqual(servers);
  });

  it.each([
    ['[{"urls": "stun:x"', /FERRY_ICE_SERVERS is not valid JSON/],
    ['{"urls": "stun:x"}', /FERRY_ICE_SERVERS must be a JSON array/],
    ['["stun:x"]', /FERRY_ICE_SERVERS\[0\] must be an object/],
    ['[{"urls": []}]', /FERRY_ICE_SERVERS\[0\]\.urls must be a string or a non-empty array/],
    ['[{"urls": "stun:a"}, {"urls": "http://b"}]', /FERRY_ICE_SERVERS\[1\]\.urls: "http:\/\/b" must start with stun:/],
    ['[{"urls": "turn:t", "username": "u"}]', /need both "username" and "credential"/],
    ['[{"urls": "stun:s", "credentials": "p"}]', /unknown key "credentials"/],
    ['[{"urls": "stun:s", "username": 5}]', /username must be a string/],
  ])('rejects bad FERRY_ICE_SERVERS %s', (value, message) => {
    expect(() => loadConfig([], { FERRY_ICE_SERVERS: value })).toThrow(ConfigError);
    expect(() => loadConfig([], { FERRY_ICE_SERVERS: value })).toThrow(message);
  });

  it('wants both TLS files or neither', () => {
    expect(() => loadConfig([], { FERRY_TLS_CERT: 'cert.pem' })).toThrow(/FERRY_TLS_CERT and FERRY_TLS_KEY/);
    expect(() => loadConfig([], { FERRY_TLS_KEY: 'key.pem' })).toThrow(ConfigError);
    const config = loadConfig([], { FERRY_TLS_CERT: '/etc/c.pem', FERRY_TLS_KEY: '/etc/k.pem' });
    expect(config.tls).toEqual({ certFile: '/etc/c.pem', keyFile: '/etc/k.pem' });
  });

  it('sizes the peer cap to the process unless FERRY_MAX_PEERS says, never to `peer`’s 5,000', () => {
    expect(loadConfig([], {}).maxPeers).toBe(maxPeersFor(processLimits()));
    expect(loadConfig([], {}).maxPeers).not.toBe(5_000);
    expect(loadConfig([], { FERRY_MAX_PEERS: '100000' }).maxPeers).toBe(100_000);
    for (const bad of ['0', '-5', '1e5', 'lots']) {
      expect(() => loadConfig([], { FERRY_MAX_PEERS: bad })).toThrow(/FERRY_MAX_PEERS must be a whole number/);
    }
  });

  it('reads the shards of a sharded layout, and refuses a layout that cannot work', () => {
    expect(loadConfig([], {}).shards).toBeUndefined();
    expect(loadConfig([], { FERRY_SHARDS: 'a, b', FERRY_SHARD: 'b' }).shards).toEqual({ names: ['a', 'b'], own: 'b' });
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ FERRY_SHARDS: 'a,b' }, /FERRY_SHARDS and FERRY_SHARD must be set together/],
      [{ FERRY_SHARD: 'a' }, /only FERRY_SHARD is set/],
      [{ FERRY_SHARDS: 'a,b', FERRY_SHARD: 'c' }, /FERRY_SHARD "c" is not one of FERRY_SHARDS/],
      [{ FERRY_SHARDS: 'a,B', FERRY_SHARD: 'a' }, /"B" is not a shard name/],
      [{ FERRY_SHARDS: 'a,a', FERRY_SHARD: 'a' }, /names a shard twice/],
      [{ FERRY_SHARDS: 'a,' + 'x'.repeat(17), FERRY_SHARD: 'a' }, /not a shard name/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig([], env)).toThrow(message);
  });

  it('warns when shards run without a trusted load balancer, whose address every visitor would then share', () => {
    const sharded = { FERRY_SHARDS: 'a,b', FERRY_SHARD: 'a', FERRY_STUN_PORT: '0' };
    expect(configWarnings(loadConfig([], sharded))).toEqual([expect.stringMatching(/FERRY_TRUSTED_PROXIES is not/)]);
    expect(configWarnings(loadConfig([], { ...sharded, FERRY_TRUSTED_PROXIES: '127.0.0.1' }))).toEqual([]);
  });
});

describe('maxPeersFor', () => {
  const GiB = 2 ** 30;
  it('keeps a tenth of the file descriptors for the rest, half the heap, and what one thread serves', () => {
    expect(maxPeersFor({ openFiles: 20_000, heapBytes: 4 * GiB })).toBe(18_000);
    expect(maxPeersFor({ openFiles: 1_024, heapBytes: 4 * GiB })).toBe(768);
    expect(maxPeersFor({ openFiles: 40_000, heapBytes: 512 * 2 ** 20 })).toBe(8_192);
    expect(maxPeersFor({ openFiles: Infinity, heapBytes: 4 * GiB })).toBe(40_000);
    expect(maxPeersFor({ openFiles: 1_048_576, heapBytes: 16 * GiB })).toBe(40_000);
  });
});

describe('startServer', () => {
  const iceServers = [{ urls: 'stun:10.77.0.1:3478' }];
  let staticDir: string;
  let emptyDir: string;
  let running: RunningServer;
  let logged: string[];
  const sockets: WebSocket[] = [];

  function configFor(dir: string): ServerConfig {
    return { host: '127.0.0.1', port: 0, iceServers, staticDir: dir };
  }

  /** Opens a broker websocket and resolves with it and its first message. */
  function openPeer(base: string, id: string, token = 't'): Promise<{ ws: WebSocket; first: unknown }> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}peerjs/peerjs?key=peerjs&id=${id}&token=${token}`);
    sockets.push(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) }));
    });
  }

  function nextMessage(ws: WebSocket): Promise<unknown> {
    return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
  }

  beforeAll(async () => {
    staticDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-static-'));
    emptyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-empty-'));
    await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Ferry</title>');
    await fs.mkdir(path.join(staticDir, 'assets'));
    await fs.writeFile(path.join(staticDir, 'assets', 'x.js'), 'console.log(1);');
    logged = [];
    running = await startServer(configFor(staticDir), { log: (m) => logged.push(m) });
  });

  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });

  afterAll(async () => {
    await running.close();
    await fs.rm(staticDir, { recursive: true, force: true });
    await fs.rm(emptyDir, { recursive: true, force: true });
  });

  it('listens on the real port and reports it in the url', () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(running.url).not.toMatch(/:0\/$/);
  });

  it('serves index.html at / with no-cache and the security headers', async () => {
    const res = await fetch(running.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<title>Ferry</title>');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    // The broker's websocket on this very host, not any ws:/wss: host at all.
    const host = new URL(running.url).host;
    expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host};`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves hashed assets as immutable', async () => {
    const res = await fetch(new URL('assets/x.js', running.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('console.log(1);');
  });

  it('answers /api/config with the configured ICE servers, uncached', async () => {
    const res = await fetch(new URL('api/config', running.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ iceServers });
  });

  it('answers STUN on its own UDP port and lists it, with fresh TURN credentials, in /api/config', async () => {
    const turn = { urls: ['turn:turn.example.lan:3478'], secret: 'the-secret', ttlSeconds: 600 };
    const withRelay = await startServer({ ...configFor(staticDir), stun: { host: '127.0.0.1', port: 0 }, turn });
    try {
      expect(withRelay.stunPort).toBeGreaterThan(0);
      const config = async () => (await (await fetch(new URL('api/config', withRelay.url))).json()) as ClientIceConfig;
      const first = await config();
      // The host the page was loaded from, and the port STUN really listens on.
      expect(first.iceServers[0]).toEqual({ urls: `stun:127.0.0.1:${withRelay.stunPort}` });
      expect(first.iceServers[1]).toMatchObject({ urls: turn.urls });
      const relay = first.iceServers[1]!;
      expect(relay.credential).toBe(createHmac('sha1', turn.secret).update(relay.username!).digest('base64'));
      expect(first.iceServers.slice(2)).toEqual(iceServers);
      expect(first.ttl).toBe(600);
      expect(JSON.stringify(first)).not.toContain(turn.secret);
      expect((await config()).iceServers[1]!.username).not.toBe(relay.username);

      // A real Binding request (RFC 8489: type 0x0001, length 0, magic cookie, transaction id).
      const socket = dgram.createSocket('udp4');
      try {
        const request = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
        const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
        socket.send(request, withRelay.stunPort!, '127.0.0.1');
        const response = await answer;
        expect(response.readUInt16BE(0)).toBe(0x0101); // Binding success
        expect(response.subarray(8, 20)).toEqual(request.subarray(8, 20));
      } finally {
        socket.close();
      }
    } finally {
      await withRelay.close();
    }
  });

  it('refuses to start, naming the port, when its STUN port is taken', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const port = taken.address().port;
      await expect(startServer({ ...configFor(staticDir), stun: { host: '127.0.0.1', port } })).rejects.toThrow(new RegExp(`UDP port ${port}.*in use.*FERRY_STUN_PORT`));
    } finally {
      taken.close();
    }
  });

  it('answers unknown paths with 404 and odd urls without a 5xx', async () => {
    expect((await fetch(new URL('nope.txt', running.url))).status).toBe(404);
    expect((await fetch(new URL('%E0%A4%A', running.url))).status).toBeLessThan(500);
    expect((await fetch(new URL('..%2f..%2fetc/passwd', running.url))).status).toBeLessThan(500);
  });

  it('turns a share POST that no service worker took into a redirect the page explains', async () => {
    const form = new FormData();
    form.append('files', new Blob(['x']), 'x.txt');
    const res = await fetch(new URL('share-target', running.url), { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/?shared=unavailable');
  });

  it('never serves received files: download URLs reach it only without the service worker', async () => {
    const res = await fetch(new URL('ferry-download/abc/0', running.url));
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/never pass through this server/);
  });

  it('mounts the PeerJS id endpoint at /peerjs/peerjs/id, uncached, and keeps discovery off', async () => {
    const res = await fetch(new URL('peerjs/peerjs/id', running.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const id = await res.text();
    expect(id.length).toBeGreaterThan(0);
    expect(id).not.toBe(await (await fetch(new URL('peerjs/peerjs/id', running.url))).text());
    expect((await fetch(new URL('peerjs/peerjs/peers', running.url))).status).toBe(401);
  });

  it('accepts a broker websocket at /peerjs/peerjs and relays between two peers', async () => {
    const a = await openPeer(running.url, 'abc');
    expect(a.first).toEqual({ type: 'OPEN' });
    const b = await openPeer(running.url, 'def');
    expect(b.first).toEqual({ type: 'OPEN' });

    const relayed = nextMessage(b.ws);
    const payload = { sdp: { type: 'offer', sdp: 'v=0' }, type: 'data', connectionId: 'dc_1' };
    a.ws.send(JSON.stringify({ type: 'OFFER', src: 'def', dst: 'def', payload }));
    // The broker stamps the sender's id as src: a peer cannot claim to be someone else.
    expect(await relayed).toEqual({ type: 'OFFER', src: 'abc', dst: 'def', payload });

    // Same id, wrong token: the id is refused.
    const thief = await openPeer(running.url, 'abc', 'other');
    expect(thief.first).toMatchObject({ type: 'ID-TAKEN' });
  });

  it('survives garbage on the broker websocket and on the raw socket', async () => {
    const { ws } = await openPeer(running.url, 'garbage');
    ws.send('this is not json');
    ws.send(Buffer.from([0xff, 0x00]));
    // Dropped without a word, and the socket still works.
    ws.send(JSON.stringify({ type: 'HEARTBEAT' }));
    const echo = await openPeer(running.url, 'echo');
    const relayed = nextMessage(echo.ws);
    const payload = { candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 }, type: 'data', connectionId: 'dc_2' };
    ws.send(JSON.stringify({ type: 'CANDIDATE', dst: 'echo', payload }));
    expect(await relayed).toMatchObject({ type: 'CANDIDATE', src: 'garbage' });
    expect(logged).toEqual([]);

    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(running.url).port), '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => (data += String(chunk)));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('NOT HTTP AT ALL\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);

    expect((await fetch(new URL('api/config', running.url))).status).toBe(200);
  });

  it('answers / with 503 and a hint when the app is not built', async () => {
    const bare = await startServer(configFor(emptyDir));
    try {
      const res = await fetch(bare.url);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('Ferry is not built yet: run `npm run build`');
      expect((await fetch(new URL('api/config', bare.url))).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('closes within 2 s even with an open websocket', async () => {
    const other = await startServer(configFor(staticDir));
    const { ws, first } = await openPeer(other.url, 'lingering');
    expect(first).toEqual({ type: 'OPEN' });
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));

    const started = Date.now();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 2000).unref());
    expect(await Promise.race([other.close().then(() => 'closed' as const), timeout])).toBe('closed');
    expect(Date.now() - started).toBeLessThan(2000);
    await wsClosed;
    expect(other.server.listening).toBe(false);
    // close() is idempotent.
    await other.close();
  });

  it('reports unreadable TLS files as a ConfigError naming the variable', async () => {
    const config: ServerConfig = {
      ...configFor(staticDir),
      tls: { certFile: path.join(emptyDir, 'missing-cert.pem'), keyFile: path.join(emptyDir, 'k.pem') },
    };
    await expect(startServer(config)).rejects.toThrow(ConfigError);
    await expect(startServer(config)).rejects.toThrow(/FERRY_TLS_CERT: cannot read/);
  });
});
