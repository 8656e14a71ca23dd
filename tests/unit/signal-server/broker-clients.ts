// A real Ferry server (the `peer` package behind Ferry's guard) on loopback, and raw
// WebSocket clients that say what an attacker or a page would: for the broker's tests.
import { afterEach, expect } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from '../../../signal-server/broker-limits.ts';
import type { ServerConfig } from '../../../signal-server/config.ts';
import { startServer, type RunningServer } from '../../../signal-server/server.ts';

const servers: RunningServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export async function broker(
  limits: Partial<BrokerLimits> = {},
  allowedOrigins: string[] = [],
  more: Partial<ServerConfig> = {},
  log: (message: string) => void = () => {},
): Promise<RunningServer> {
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      iceServers: [],
      staticDir: '/nonexistent',
      allowedOrigins,
      brokerLimits: { ...DEFAULT_BROKER_LIMITS, ...limits },
      ...more,
    },
    { log },
  );
  servers.push(server);
  return server;
}

export interface Client {
  ws: WebSocket;
  /** Every message received so far, parsed. */
  received: Array<{ type: string; src?: string; payload?: unknown }>;
  closed: Promise<number>;
}

export interface Dial {
  token?: string;
  /** A loopback source address: each stands for a different client address. */
  from?: string;
  origin?: string;
  /** The whole query instead of key, id and token once each. */
  query?: string;
}

/** A broker client; resolves once the server answered the upgrade (whatever it said). */
export function connect(server: RunningServer, id: string, { token = 'tok', from = '127.0.0.1', origin, query }: Dial = {}): Promise<Client> {
  const url = `${server.url.replace(/^http/, 'ws')}peerjs/peerjs?${query ?? `key=peerjs&id=${encodeURIComponent(id)}&token=${token}`}`;
  const ws = new WebSocket(url, { localAddress: from, ...(origin && { origin }) });
  sockets.push(ws);
  const received: Client['received'] = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data))));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received, closed }));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A client whose id the broker accepted. */
export async function registered(server: RunningServer, id: string, dial: Dial = {}): Promise<Client> {
  const client = await connect(server, id, dial);
  await expect.poll(() => client.received[0]?.type).toBe('OPEN');
  return client;
}

export const offer = (dst: string, connectionId = 'dc_1') => ({
  type: 'OFFER',
  dst,
  payload: { sdp: { type: 'offer', sdp: 'v=0\r\n' }, type: 'data', connectionId, serialization: 'raw', reliable: true },
});

