// The broker between clients that share something: an address, a destination, an id
// they both name. Each pays for what it does itself, and only it is refused or closed.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { broker, connect, offer, registered, type Client } from './broker-clients.ts';

const HEARTBEAT = JSON.stringify({ type: 'HEARTBEAT' });

const reply = (type: 'ANSWER' | 'CANDIDATE', dst: string, connectionId: string) =>
  JSON.stringify(
    type === 'ANSWER'
      ? { type, dst, payload: { sdp: { type: 'answer', sdp: 'v=0\r\n' }, type: 'data', connectionId } }
      : { type, dst, payload: { candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: '0' }, type: 'data', connectionId } },
  );

/** Answers every offer as a browser that admits it does: an ANSWER and ten CANDIDATEs. */
function answerEveryOffer(page: Client): void {
  page.ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; src: string; payload: { connectionId: string } };
    if (message.type !== 'OFFER') return;
    page.ws.send(reply('ANSWER', message.src, message.payload.connectionId));
    for (let n = 0; n < 10; n++) page.ws.send(reply('CANDIDATE', message.src, message.payload.connectionId));
  });
}

const offersFrom = (client: Client, prefix: string) =>
  client.received.filter((message) => message.type === 'OFFER' && message.src?.startsWith(prefix)).length;

describe('the query', () => {
  it('is refused when it names a parameter twice or one the guard does not check, and the owner keeps its id', async () => {
    const server = await broker();
    const owner = await registered(server, 'victim', { token: 'owner' });
    owner.ws.close();
    await owner.closed;

    for (const query of [
      // `peer` reads the last id and token, the guard the first.
      'key=peerjs&id=mine&token=mine&id=victim&token=x',
      'key=peerjs&id=victim&token=x&id=mine&token=mine',
      'key=peerjs&key=peerjs&id=mine&token=mine',
      'key=peerjs&id=mine&token=mine&extra=1',
      'key=peerjs&id=mine&token=mine&version=1.5.4&version=1.5.4',
    ]) {
      await expect(connect(server, '', { query, from: '127.0.0.2' }), query).rejects.toThrow('HTTP 400');
    }
    // What the PeerJS client sends, its version included, is taken.
    await registered(server, '', { query: 'key=peerjs&id=mine&token=mine&version=1.5.4', from: '127.0.0.2' });

    const back = await registered(server, 'victim', { token: 'owner' });
    const dialler = await registered(server, 'dialler', { from: '127.0.0.3' });
    dialler.ws.send(JSON.stringify(offer('victim')));
    await expect.poll(() => back.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'dialler' });
  });
});

describe('neighbours on one address', () => {
  it('closes the client that floods messages, never the one beside it', async () => {
    const server = await broker();
    const neighbour = await registered(server, 'neighbour', { from: '127.0.0.2' });
    const flooder = await registered(server, 'flooder', { from: '127.0.0.2' });
    const receiver = await registered(server, 'receiver', { from: '127.0.0.3' });
    for (let n = 0; n < 2_000; n++) flooder.ws.send(HEARTBEAT);
    await flooder.closed;
    expect(flooder.received.at(-1)).toMatchObject({ type: 'ERROR', payload: { msg: expect.stringMatching(/too many messages/i) } });

    // The neighbour spends its own share, which the flood did not touch.
    for (let n = 0; n < 150; n++) neighbour.ws.send(HEARTBEAT);
    neighbour.ws.send(JSON.stringify(offer('receiver')));
    await expect.poll(() => receiver.received.at(-1), { timeout: 5_000 }).toMatchObject({ type: 'OFFER', src: 'neighbour' });
    expect(neighbour.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('lets an id’s owner back in while a neighbour spends every connect the address has', async () => {
    const server = await broker({ connectBurst: 10, connectsPerSecond: 0.01 });
    const first = await registered(server, 'owned', { token: 'owner', from: '127.0.0.2' });
    const churn = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => connect(server, `churn${n}`, { from: '127.0.0.2' })));
    expect(churn.filter((outcome) => outcome.status === 'rejected')).toHaveLength(3); // 10 of the burst: 'owned' and 9 more

    // A network change (the old socket still looks open), then a reload (closed first).
    const moved = await registered(server, 'owned', { token: 'owner', from: '127.0.0.2' });
    await first.closed;
    moved.ws.close();
    await moved.closed;
    await registered(server, 'owned', { token: 'owner', from: '127.0.0.2' });

    // Nobody else gets the owner's way in: a new id, or the owner's id with another token.
    await expect(connect(server, 'stranger', { from: '127.0.0.2' })).rejects.toThrow('HTTP 429');
    await expect(connect(server, 'owned', { token: 'thief', from: '127.0.0.2' })).rejects.toThrow('HTTP 429');
  });
});

describe('a flood of offers at a sender', () => {
  it('does not cost the sender its socket for answering them, and a real receiver still reaches it', async () => {
    const server = await broker();
    const sender = await registered(server, 'sender', { from: '127.0.0.3' });
    answerEveryOffer(sender);
    const flooders = await Promise.all([1, 2, 3, 4].map((n) => registered(server, `flood${n}`, { from: '127.0.0.2' })));
    for (const [n, flooder] of flooders.entries()) {
      for (let k = 0; k < 150; k++) flooder.ws.send(JSON.stringify(offer('sender', `dc_${n}_${k}`)));
    }
    // Far more replies than the sender's own budget (200 at once) come of what gets through.
    await expect.poll(() => offersFrom(sender, 'flood'), { timeout: 5_000 }).toBeGreaterThanOrEqual(100);

    const receiver = await registered(server, 'receiver', { from: '127.0.0.4' });
    receiver.ws.send(JSON.stringify(offer('sender', 'dc_real')));
    await expect.poll(() => receiver.received.filter((message) => message.type !== 'OPEN').length, { timeout: 5_000 }).toBe(11);
    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('relays to one destination no more than one address’s share, leaving room for everyone else', async () => {
    const server = await broker({ inboundMessageBurst: 40, inboundMessagesPerSecond: 0.01 });
    const sender = await registered(server, 'sender', { from: '127.0.0.9' });
    const witness = await registered(server, 'witness', { from: '127.0.0.8' });
    const flooder = await registered(server, 'flooder', { from: '127.0.0.2' });
    for (let k = 0; k < 30; k++) flooder.ws.send(JSON.stringify(offer('sender', `dc_${k}`)));
    // The broker reads one socket in order: once the witness has this, the flood was dealt with.
    flooder.ws.send(JSON.stringify(offer('witness')));
    await expect.poll(() => witness.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'flooder' });

    const receiver = await registered(server, 'receiver', { from: '127.0.0.4' });
    receiver.ws.send(JSON.stringify(offer('sender', 'dc_real')));
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: 'OFFER', src: 'receiver' });
    expect(offersFrom(sender, 'flooder')).toBe(10); // a quarter of 40
    expect(flooder.ws.readyState).toBe(WebSocket.OPEN); // dropped, not closed: it broke no rule of its own
  });
});

describe('a client that stops reading', () => {
  it('is closed once what waits for it passes the bound, and whoever sent it keeps its socket', async () => {
    const unlimited = { messagesPerSecond: 1e9, messageBurst: 1e9, inboundMessagesPerSecond: 1e9, inboundMessageBurst: 1e9 };
    const server = await broker({ ...unlimited, inboundBytesPerSecond: 1e12, inboundByteBurst: 1e12 });
    const stalled = await registered(server, 'stalled', { from: '127.0.0.2' });
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const pusher = await registered(server, 'pusher', { from: '127.0.0.3' });
    const big = JSON.stringify({ ...offer('stalled'), payload: { ...offer('stalled').payload, sdp: { type: 'offer', sdp: 'a'.repeat(60_000) } } });
    // The kernel's buffers take several MiB first; then ws would queue the rest in memory.
    for (let n = 0; n < 1_000; n++) pusher.ws.send(big);
    await expect.poll(() => server.brokerStats().connectedIds, { timeout: 10_000 }).toBe(1);
    expect(pusher.ws.readyState).toBe(WebSocket.OPEN);
  });
});
