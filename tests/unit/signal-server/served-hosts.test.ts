// DNS rebinding: a site points its own name at a Ferry server's address, so that its
// pages, to the browser, come from the same origin as the server. The server then
// sees Origin and Host both naming that site. It must answer only to names the
// operator chose: IP addresses, localhost, and the hosts of FERRY_ALLOWED_ORIGINS.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isOwnOrigin, servesHost } from '../../../signal-server/origins.ts';
import { PRESENCE_PATH } from '../../../signal-server/presence.ts';
import { startServer, type RunningServer } from '../../../signal-server/server.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function ferry(allowedOrigins: string[] = []): Promise<RunningServer> {
  const server = await startServer({ host: '127.0.0.1', port: 0, iceServers: [], staticDir: '/nonexistent', allowedOrigins }, { log: () => {} });
  closers.push(() => server.close());
  return server;
}

/** An HTTP request to the server as a browser sends it to `host` (fetch cannot set Host). */
async function ask(server: RunningServer, path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { Host: host } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket as a page at `pageHost` opens it: Origin and Host both name that host. Resolves 'open' or the HTTP status. */
function socket(server: RunningServer, path: string, pageHost: string): Promise<string> {
  const port = new URL(server.url).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { origin: `http://${pageHost}`, headers: { Host: pageHost } });
  closers.push(() => ws.terminate());
  return new Promise((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_request, response) => resolve(`HTTP ${response.statusCode}`));
    ws.once('error', (error) => resolve(`error ${error.message}`));
  });
}

const BROKER = '/peerjs/peerjs?key=peerjs&id=rebound&token=t';

describe('servesHost', () => {
  it('takes IP literals and localhost on any port, and the hosts of the allowed origins', () => {
    for (const host of ['10.77.0.1', '10.77.0.1:8080', '[::1]:8080', '[fe80::1]', 'localhost', 'LOCALHOST:3000']) {
      expect(servesHost(host, []), host).toBe(true);
    }
    expect(servesHost('ferry.example', ['https://ferry.example'])).toBe(true);
    expect(servesHost('Ferry.Example:8443', ['https://ferry.example'])).toBe(true);
  });

  it('refuses every other name, and anything that is not a host', () => {
    for (const host of ['evil.example', 'evil.example:8080', 'ferry.example', 'localhost.', 'foo.localhost', '10.77.0.1.evil.example', '::1', '[evil]', '', ':80', 'a b']) {
      expect(servesHost(host, []), host).toBe(false);
    }
    expect(servesHost('evil.example', ['https://ferry.example'])).toBe(false);
  });

  it('is part of what makes a page one of Ferry’s own', () => {
    expect(isOwnOrigin('http://evil.example:8080', 'evil.example:8080', [])).toBe(false);
    expect(isOwnOrigin('http://10.77.0.1:8080', '10.77.0.1:8080', [])).toBe(true);
    expect(isOwnOrigin('https://ferry.example', 'ferry.example', ['https://ferry.example'])).toBe(true);
  });
});

describe('a server with no names configured', () => {
  it('refuses pages, /api and the id endpoint under a foreign name with 421 and says what to set', async () => {
    const server = await ferry();
    const port = new URL(server.url).port;
    for (const path of ['/', '/api/config', '/peerjs/peerjs/id', '/anything']) {
      const answer = await ask(server, path, `evil.example:${port}`);
      expect(answer.status, path).toBe(421);
      expect(answer.body).toContain(`FERRY_ALLOWED_ORIGINS=https://evil.example:${port}`);
    }
    expect((await ask(server, '/api/config', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await ask(server, '/api/config', `localhost:${port}`)).status).toBe(200);
    // A load balancer's health check may name anything.
    expect((await ask(server, '/healthz', 'backend')).status).toBe(200);
  });

  it('does not repeat a Host it could not show safely', async () => {
    const answer = await ask(await ferry(), '/', 'evil.example:1<script>');
    expect(answer.status).toBe(421);
    expect(answer.body).not.toContain('<script>');
  });

  it('refuses the broker’s and the presence WebSockets from a page under a foreign name', async () => {
    const server = await ferry();
    const port = new URL(server.url).port;
    expect(await socket(server, BROKER, `evil.example:${port}`)).toBe('HTTP 403');
    expect(await socket(server, PRESENCE_PATH, `evil.example:${port}`)).toBe('HTTP 403');
    expect(await socket(server, BROKER, `127.0.0.1:${port}`)).toBe('open');
    expect(await socket(server, PRESENCE_PATH, `127.0.0.1:${port}`)).toBe('open');
  });
});

describe('a server with FERRY_ALLOWED_ORIGINS', () => {
  it('answers to the names it lists, and to nothing else', async () => {
    const server = await ferry(['http://ferry.example']);
    expect((await ask(server, '/api/config', 'ferry.example')).status).toBe(200);
    expect((await ask(server, '/api/config', 'evil.example')).status).toBe(421);
    expect(await socket(server, BROKER, 'ferry.example')).toBe('open');
  });
});
