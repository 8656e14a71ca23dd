// The server's presence stream (signal-server/presence.ts) on loopback, beside the
// broker, driven by raw WebSockets: what a page gets, and what a flood does not.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_BROKER_LIMITS } from '../../../signal-server/broker-limits.ts';
import { PRESENCE_PATH, servePresence, type PresenceService } from '../../../signal-server/presence.ts';
import { startServer, type RunningServer } from '../../../signal-server/server.ts';

const closers: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Stream {
  ws: WebSocket;
  messages: number;
  closed: Promise<void>;
}

/** A presence stream; resolves once open, rejects with the HTTP status it was refused with. */
function watch(origin: string, { from = '127.0.0.1', pageOrigin, autoPong = true }: { from?: string; pageOrigin?: string; autoPong?: boolean } = {}): Promise<Stream> {
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}${PRESENCE_PATH}`, { localAddress: from, autoPong, ...(pageOrigin && { origin: pageOrigin }) });
  closers.push(() => ws.terminate());
  const stream: Stream = { ws, messages: 0, closed: new Promise((resolve) => ws.once('close', () => resolve())) };
  ws.on('message', () => (stream.messages += 1));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(stream));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Presence alone on an HTTP server, with its own limits and heartbeat. */
async function presenceOnly(connectionsPerAddress: number, heartbeatMs = 60_000): Promise<{ origin: string; presence: PresenceService }> {
  const server = http.createServer();
  const presence = servePresence(server, {
    allowedOrigins: [],
    trustedProxies: new Set(),
    limits: { connectionsPerAddress, connectsPerSecond: 100, connectBurst: 100 },
    heartbeatMs,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    presence.close();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, presence };
}

async function ferry(): Promise<RunningServer> {
  const server = await startServer({ host: '127.0.0.1', port: 0, iceServers: [], staticDir: '/nonexistent', brokerLimits: DEFAULT_BROKER_LIMITS });
  closers.push(() => server.close());
  return server;
}

describe('the presence stream', () => {
  it('is served beside the broker, and closes when the server stops', async () => {
    const server = await ferry();
    const stream = await watch(server.url.replace(/\/$/, ''), { pageOrigin: new URL(server.url).origin });
    await server.close();
    await stream.closed;
  });

  it('refuses a foreign page', async () => {
    const server = await ferry();
    await expect(watch(server.url.replace(/\/$/, ''), { pageOrigin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('takes as many streams from one address as broker sockets, and another once one closes', async () => {
    const { origin, presence } = await presenceOnly(3);
    const streams = await Promise.all([1, 2, 3].map(() => watch(origin, { from: '127.0.0.2' })));
    await expect(watch(origin, { from: '127.0.0.2' })).rejects.toThrow('HTTP 429');
    await watch(origin, { from: '127.0.0.3' });
    streams[0]!.ws.close();
    await streams[0]!.closed;
    await expect.poll(async () => (await watch(origin, { from: '127.0.0.2' }).then(() => true, () => false))).toBe(true);
    expect(presence.count()).toBe(4);
  });

  it('speaks on every heartbeat, and lets go of a page that stopped answering', async () => {
    const { origin, presence } = await presenceOnly(10, 50);
    const live = await watch(origin);
    const gone = await watch(origin, { autoPong: false });
    await expect.poll(() => live.messages).toBeGreaterThan(2);
    await gone.closed;
    expect(presence.count()).toBe(1);
  });

  it('cuts off a page that speaks', async () => {
    const { origin } = await presenceOnly(10);
    const stream = await watch(origin);
    stream.ws.send('hello');
    await stream.closed;
  });
});
