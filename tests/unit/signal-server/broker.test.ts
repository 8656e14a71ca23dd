// The broker against hostile clients: the real `peer` package behind Ferry's guard,
// on loopback, driven by raw WebSockets that send what an attacker would.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newBrokerToken, peerIdFor } from '../../../app/src/common/broker-ids.ts';
import { broker, connect, offer, registered, type Client } from './broker-clients.ts';

/** JSON for arrays nested `depth` deep (JSON.stringify itself could not write it). */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('a message cannot hurt its recipient', () => {
  it('a deeply nested candidate neither closes the sender it is aimed at nor frees its id', async () => {
    const server = await broker();
    const sender = await registered(server, 'victim', { token: 'owner' });
    const attacker = await registered(server, 'attacker', { from: '127.0.0.2' });

    // ~40 KB of nested arrays: `peer` alone fails to re-serialise it and closes the victim.
    attacker.ws.send(`{"type":"CANDIDATE","dst":"victim","payload":{"type":"data","connectionId":"x","candidate":${nested(20_000)}}}`);
    attacker.ws.send(JSON.stringify(offer('victim')).replace('"serialization"', `"metadata":${nested(50)},"serialization"`));
    // Types only the broker may send are not relayed either.
    attacker.ws.send(JSON.stringify({ type: 'LEAVE', dst: 'victim' }));
    attacker.ws.send(JSON.stringify({ type: 'EXPIRE', dst: 'victim' }));
    // A well-formed offer still gets through, stamped with its real source; the broker
    // reads one socket in order, so once it arrives everything before it was dealt with.
    attacker.ws.send(JSON.stringify({ ...offer('victim'), src: 'someone-else' }));
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'attacker' });

    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
    expect(sender.received.map((message) => message.type)).toEqual(['OPEN', 'OFFER']);
    const squatter = await connect(server, 'victim', { token: 'thief', from: '127.0.0.2' });
    await expect.poll(() => squatter.received[0]?.type).toBe('ID-TAKEN');
  });

  it('an oversized message closes only the socket that sent it', async () => {
    const server = await broker();
    const sender = await registered(server, 'victim');
    const attacker = await registered(server, 'attacker', { from: '127.0.0.2' });
    attacker.ws.send(JSON.stringify({ ...offer('victim'), payload: { ...offer('victim').payload, sdp: { type: 'offer', sdp: 'a'.repeat(100_000) } } }));
    expect(await attacker.closed).toBe(1009); // "message too big"
    // The victim still hears from others.
    const other = await registered(server, 'other', { from: '127.0.0.3' });
    other.ws.send(JSON.stringify(offer('victim')));
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'other' });
    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('odd requests', () => {
  it('answers odd request targets, upgrades or not, with an HTTP error and keeps running', async () => {
    const server = await broker();
    const port = Number(new URL(server.url).port);
    const ask = (target: string, upgrade: boolean) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(
            `GET ${target} HTTP/1.1\r\nHost: x\r\n` +
              (upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' : '') +
              '\r\n',
          ),
        );
        let answer = '';
        socket.on('data', (chunk) => {
          answer += String(chunk);
          if (answer.includes('\r\n')) {
            resolve(answer.split('\r\n')[0]!);
            socket.destroy();
          }
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve('reset'));
        setTimeout(() => socket.destroy(), 2000);
      });
    for (const target of ['http://[', '//x', '*', '/peerjs/peerjs?id=%zz&token=a&key=peerjs', '/peerjs/peerjs?id=a&id=b', '/%']) {
      for (const upgrade of [true, false]) {
        expect(await ask(target, upgrade), `${target} upgrade=${upgrade}`).toMatch(/^HTTP\/1\.1 [45]\d\d /);
      }
    }
    await registered(server, 'still-up');
  });
});

describe('an id belongs to its token', () => {
  it('stays reserved for its owner after a disconnect, and only for the grace period', async () => {
    const server = await broker({ idGraceMs: 1_500 });
    const first = await registered(server, 'sender1', { token: 'owner' });
    first.ws.close();
    await first.closed;

    const squatter = await connect(server, 'sender1', { token: 'thief', from: '127.0.0.2' });
    await expect.poll(() => squatter.received[0]?.type).toBe('ID-TAKEN');
    expect(server.brokerStats().reservedIds).toBe(1);

    // The owner comes back (a reload, a new network) and gets its id.
    const back = await registered(server, 'sender1', { token: 'owner' });
    back.ws.close();
    await expect.poll(() => server.brokerStats().reservedIds).toBe(1);

    // After the grace period nobody's claim is better than anyone else's.
    await expect.poll(() => server.brokerStats().reservedIds, { timeout: 10_000 }).toBe(0);
    await registered(server, 'sender1', { token: 'newcomer' });
    expect(server.brokerStats().reservedIds).toBe(0);
  });

  it('gives the owner its id back at once even while its old socket still looks open', async () => {
    const server = await broker();
    const before = await registered(server, 'moving', { token: 'owner' });
    // A phone on a new network: the old TCP connection is dead but was never closed.
    const after = await registered(server, 'moving', { token: 'owner' });
    await before.closed;
    const dialler = await registered(server, 'dialler');
    dialler.ws.send(JSON.stringify(offer('moving')));
    await expect.poll(() => after.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'dialler' });
  });
});

describe('an id made from its token', () => {
  it('belongs to that token on any process: taken from whoever asked first, and kept from anyone else', async () => {
    const server = await broker();
    const token = newBrokerToken();
    const id = peerIdFor('', token);
    // As on a backup that never saw the owner: someone who read the id in a link asks first.
    const squatter = await registered(server, id, { token: 'squatter', from: '127.0.0.2' });
    const owner = await registered(server, id, { token, from: '127.0.0.3' });
    await squatter.closed;
    expect(owner.ws.readyState).toBe(WebSocket.OPEN);
    const again = await connect(server, id, { token: 'squatter', from: '127.0.0.2' });
    await expect.poll(() => again.received[0]).toMatchObject({ type: 'ID-TAKEN' });

    // Messages for the id reach the owner.
    const dialler = await registered(server, 'dialler', { from: '127.0.0.4' });
    dialler.ws.send(JSON.stringify(offer(id)));
    await expect.poll(() => owner.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'dialler' });
  });
});

describe('bounded resources', () => {
  it('holds messages for an absent id briefly, delivers them if it comes, and answers EXPIRE otherwise', async () => {
    // Long enough for 'late' to register on a busy machine; the sweep runs once a second.
    const server = await broker({ holdMs: 2_000 });
    const dialler = await registered(server, 'dialler');
    dialler.ws.send(JSON.stringify(offer('late')));
    dialler.ws.send(JSON.stringify(offer('never')));
    const late = await registered(server, 'late');
    await expect.poll(() => late.received.map((m) => m.type)).toEqual(['OPEN', 'OFFER']);
    await expect.poll(() => dialler.received.filter((m) => m.type === 'EXPIRE').map((m) => m.src), { timeout: 5_000 }).toEqual(['never']);
    expect(server.brokerStats().heldBytes).toBe(0);
  });

  it('caps what it holds for absent ids, per id and in all, and says EXPIRE at once when full', async () => {
    const heldBytesTotal = 300_000;
    const server = await broker({ heldBytesPerId: 100_000, heldBytesTotal, holdMs: 60_000, messagesPerSecond: 1e6, messageBurst: 1e6 });
    const flooders = await Promise.all([2, 3, 4, 5].map((n) => registered(server, `flood${n}`, { from: `127.0.0.${n}` })));
    const big = (dst: string) => JSON.stringify({ ...offer(dst), payload: { ...offer(dst).payload, sdp: { type: 'offer', sdp: 'a'.repeat(60_000) } } });
    for (const [index, flooder] of flooders.entries()) {
      for (let n = 0; n < 25; n++) flooder.ws.send(big(`absent${index}-${n % 5}`));
    }
    await expect.poll(() => flooders.flatMap((f) => f.received).filter((m) => m.type === 'EXPIRE').length).toBeGreaterThan(80);
    const { heldBytes } = server.brokerStats();
    expect(heldBytes).toBeGreaterThan(0);
    expect(heldBytes).toBeLessThanOrEqual(heldBytesTotal);
  });

  it('refuses more connections from one address than the limit, before any handshake', async () => {
    const server = await broker({ connectionsPerAddress: 3 });
    const open = await Promise.all([1, 2, 3].map((n) => registered(server, `same${n}`, { from: '127.0.0.2' })));
    await expect(connect(server, 'same4', { from: '127.0.0.2' })).rejects.toThrow('HTTP 429');
    // Another address is not affected…
    await registered(server, 'elsewhere', { from: '127.0.0.3' });
    // …and a slot frees when a connection closes.
    open[0]!.ws.close();
    await open[0]!.closed;
    await expect.poll(() => server.brokerStats().sockets).toBe(3);
    await registered(server, 'same5', { from: '127.0.0.2' });
  });

  it('drops TCP connections from one address beyond its broker and presence limits and some, however idle', async () => {
    const server = await broker({ connectionsPerAddress: 5 });
    const { port } = new URL(server.url);
    const open = (localAddress: string) =>
      new Promise<net.Socket>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port: Number(port), localAddress }, () => resolve(socket));
        socket.on('error', () => {});
        held.push(socket);
      });
    const held: net.Socket[] = [];
    try {
      const flood = await Promise.all(Array.from({ length: 100 }, () => open('127.0.0.2')));
      await expect.poll(() => flood.filter((socket) => !socket.destroyed && socket.readyState === 'open').length).toBe(2 * 5 + 30);
      const response = await fetch(new URL('peerjs/peerjs/id', server.url));
      expect(response.status).toBe(200); // from 127.0.0.1: another address
    } finally {
      held.forEach((socket) => socket.destroy());
    }
  });

  it('refuses a burst of new connections from one address beyond its rate', async () => {
    const server = await broker({ connectBurst: 10, connectsPerSecond: 1 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, n) => connect(server, `burst${n}`, { from: '127.0.0.2' })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    await registered(server, 'calm', { from: '127.0.0.3' });
  });

  it('closes the socket of a client that floods messages, and serves others meanwhile', async () => {
    const server = await broker();
    const sender = await registered(server, 'sender', { from: '127.0.0.3' });
    const flooder = await registered(server, 'flooder', { from: '127.0.0.2' });
    const junk = JSON.stringify({ type: 'HEARTBEAT' });
    for (let n = 0; n < 2_000; n++) flooder.ws.send(junk);
    await flooder.closed;
    expect(flooder.received.at(-1)).toMatchObject({ type: 'ERROR', payload: { msg: expect.stringMatching(/too many messages/i) } });

    const dialler = await registered(server, 'dialler', { from: '127.0.0.4' });
    dialler.ws.send(JSON.stringify(offer('sender')));
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'dialler' });
  });
});

describe('only Ferry’s own pages', () => {
  it('refuses a WebSocket from a foreign page, and takes its own pages and non-browser clients', async () => {
    const server = await broker();
    const own = new URL(server.url).origin;
    await expect(connect(server, 'foreign', { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(server, 'sandboxed', { origin: 'null' })).rejects.toThrow('HTTP 403');
    await registered(server, 'page', { origin: own });
    await registered(server, 'program');
  });

  it('takes exactly the listed origins when FERRY_ALLOWED_ORIGINS is set (behind a proxy)', async () => {
    const server = await broker({}, ['https://ferry.example']);
    await registered(server, 'proxied', { origin: 'https://ferry.example' });
    await expect(connect(server, 'direct', { origin: new URL(server.url).origin })).rejects.toThrow('HTTP 403');
  });

  it('does not hand CORS permission to any origin that asks', async () => {
    const server = await broker();
    const response = await fetch(new URL('peerjs/peerjs/id', server.url), { headers: { Origin: 'https://evil.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rate-limits the requests that cost the server work: ids and TURN credentials', async () => {
    const server = await broker();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () => fetch(new URL('api/config', server.url)).then((r) => r.status)),
    );
    // A burst of 30, and 2 more each second while the burst is answered.
    expect(statuses.filter((status) => status === 200).length).toBeLessThan(40);
    expect(statuses).toContain(429);
  });
});

/** The client's last message once the broker closed its socket. */
async function refusal(client: Client): Promise<unknown> {
  await client.closed;
  return client.received.at(-1);
}

describe('a crowd', () => {
  it('lets in as many as FERRY_MAX_PEERS, tells the next that Ferry is busy, and lets in again once one leaves', async () => {
    const server = await broker({}, [], { maxPeers: 3 });
    const inside = await Promise.all([2, 3, 4].map((n) => registered(server, `crowd${n}`, { from: `127.0.0.${n}` })));
    const late = await connect(server, 'late', { from: '127.0.0.5' });
    expect(await refusal(late)).toEqual({ type: 'ERROR', payload: { msg: 'ferry:busy' } });
    expect(late.received.some((message) => message.type === 'OPEN')).toBe(false);

    inside[0]!.ws.close();
    await expect.poll(() => server.brokerStats().sockets).toBe(2);
    await registered(server, 'later', { from: '127.0.0.5' });
  });

  it('holds more than `peer`’s own 5,000 when allowed to', async () => {
    const server = await broker({ connectBurst: 50 }, [], { maxPeers: 5_002 });
    // 50 per address (the per-address limit), from 101 addresses: 5,050 sockets.
    const addresses = Array.from({ length: 101 }, (_, n) => `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`);
    const opened = await Promise.all(
      addresses.flatMap((from, a) => Array.from({ length: 50 }, (_, n) => connect(server, `many${a}x${n}`, { from }))),
    );
    await expect.poll(() => opened.filter((client) => client.received[0]?.type === 'OPEN').length, { timeout: 20_000 }).toBe(5_002);
    await expect.poll(() => opened.filter((client) => client.received[0]?.type === 'ERROR').length).toBe(48);
    expect(opened.filter((client) => client.received[0]?.type === 'ERROR').every((client) => (client.received[0]!.payload as { msg: string }).msg === 'ferry:busy')).toBe(true);
  }, 60_000);
});

describe('one shard of several', () => {
  const shards = { names: ['a', 'b'], own: 'b' };

  it('takes ids of its own shard, and tells a client of another shard that it was misrouted, logging it once', async () => {
    const logged: string[] = [];
    const server = await broker({}, [], { shards }, (message) => logged.push(message));
    const ownId = peerIdFor('b', newBrokerToken());
    const own = await registered(server, ownId);
    const other = await connect(server, peerIdFor('a', newBrokerToken()), { from: '127.0.0.2' });
    expect(await refusal(other)).toEqual({ type: 'ERROR', payload: { msg: 'ferry:misrouted' } });
    // An id with no shard (a link from before sharding) lives on the first shard, not here.
    const unsharded = await connect(server, peerIdFor('', newBrokerToken()), { from: '127.0.0.3' });
    expect(await refusal(unsharded)).toEqual({ type: 'ERROR', payload: { msg: 'ferry:misrouted' } });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/shard "a" reached this process of shard "b".*\/s\/a\//);

    // Its own clients meet as ever.
    const receiver = await registered(server, peerIdFor('b', newBrokerToken()), { from: '127.0.0.4' });
    receiver.ws.send(JSON.stringify(offer(ownId)));
    await expect.poll(() => own.received.at(-1)?.type).toBe('OFFER');
  });

  it('on the first shard, takes ids with no shard and ids it did not make', async () => {
    const server = await broker({}, [], { shards: { names: ['a', 'b'], own: 'a' } });
    await registered(server, peerIdFor('', newBrokerToken()));
    await registered(server, 'an-older-page', { from: '127.0.0.2' });
    await registered(server, peerIdFor('a', newBrokerToken()), { from: '127.0.0.3' });
  });

  it('names the shards in /api/config, and answers health checks', async () => {
    const server = await broker({}, [], { shards });
    expect(await (await fetch(new URL('api/config', server.url))).json()).toMatchObject({ shards: ['a', 'b'] });
    const health = await fetch(new URL('healthz', server.url));
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    const single = await broker();
    expect(await (await fetch(new URL('api/config', single.url))).json()).not.toHaveProperty('shards');
  });
});
