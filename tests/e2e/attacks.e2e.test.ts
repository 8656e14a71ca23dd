// Ferry in real browsers, attacked the ways the hostile-input review found: someone
// who knows a sender's peer id (it is in the link) tries to take the share offline
// or take it over; a page on another site tries to use the broker.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
// Named apart from the browser's WebSocket, which page.evaluate bodies below use.
import NodeWebSocket from 'ws';
import { newPage, pageErrors, randomFixture, saveAll, share, untilControlled, waitForState, useFerry, type Fixture } from './harness.ts';

const ferry = useFerry();
const sockets: NodeWebSocket[] = [];
afterAll(() => sockets.forEach((ws) => ws.terminate()));

/**
 * A broker client from this process (no Origin: a program, not a page), from another
 * address than the browsers' so its flood does not spend their per-address limits.
 * Resolves with the broker's first word.
 */
function brokerClient(id: string, token: string): Promise<{ ws: NodeWebSocket; first: string }> {
  const ws = new NodeWebSocket(`${ferry.origin.replace(/^http/, 'ws')}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`, {
    localAddress: process.env.FERRY_TEST_OTHER_HOST,
  });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ ws, first: (JSON.parse(String(data)) as { type: string }).type }));
    ws.once('error', reject);
  });
}

/** Downloads the link's files in a fresh receiver page and checks them. */
async function receiveIntact(link: string, files: Fixture[]): Promise<void> {
  const { page } = await newPage(ferry.receiverBrowser);
  await page.goto(link);
  await waitForState(page, 'waiting', 30_000);
  await page.getByTestId('download').click();
  await waitForState(page, 'done', 60_000);
  expect((await saveAll(page)).map((saved) => saved.sha256)).toEqual(files.map((file) => file.sha256));
  await page.close();
}

const senderIdOf = (link: string) => /#\/r\/([^/]+)\//.exec(link)![1]!;
const secretOf = (link: string) => /#\/r\/[^/]+\/([^/]+)\//.exec(link)![1]!;

describe('someone who knows a sender’s id', () => {
  it('can neither knock the share offline with a crafted message nor take its id, even while the sender reloads', async () => {
    const file = await randomFixture(ferry.dir, 'kick.bin', 64 * 1024);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    const id = senderIdOf(link);

    const attacker = await brokerClient('attacker1', 'a');
    expect(attacker.first).toBe('OPEN');
    const nested = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    attacker.ws.send(`{"type":"CANDIDATE","dst":"${id}","payload":{"type":"data","connectionId":"dc_x","candidate":${nested}}}`);
    expect((await brokerClient(id, 'squatter')).first).toBe('ID-TAKEN');
    await receiveIntact(link, [file]);

    // Reloaded, the page shows the share finished (its one receiver has everything);
    // kept going, it waits for its files again, and its id waits for it.
    await sender.reload();
    await sender.getByTestId('share-finished').waitFor();
    await sender.getByRole('button', { name: 'Keep sharing the same files' }).click();
    await sender.getByRole('heading', { name: 'Your share is still open' }).waitFor();
    expect((await brokerClient(id, 'squatter')).first).toBe('ID-TAKEN');
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    await receiveIntact(link, [file]);
    await sender.close();
  });
});

/** Junk a broker client can aim at a sender's id: each offer is wrong in one way. */
function junkFor(dst: string): string[] {
  const sdp = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
  const offer = (connectionId: string, changes: Record<string, unknown>) =>
    JSON.stringify({
      type: 'OFFER',
      dst,
      payload: { sdp, type: 'data', connectionId, label: connectionId, serialization: 'raw', reliable: true, ...changes },
    });
  const junk = [
    offer('dc_json', { serialization: 'json' }),
    offer('dc_binary', { serialization: 'binary' }),
    offer('dc_ctor', { serialization: 'constructor' }),
    offer('dc_tostring', { serialization: 'toString' }),
    offer('dc_media', { type: 'media' }),
    offer('dc_unreliable', { reliable: false }),
    offer('dc_meta', { metadata: { hello: 'there' } }),
    offer('dc_big', { sdp: { type: 'offer', sdp: 'a'.repeat(40_000) } }),
  ];
  // Signalling for connections the sender never heard of: PeerJS alone keeps each forever.
  for (let n = 0; n < 150; n++) {
    const candidate = { candidate: `candidate:${n} 1 udp 1 10.0.0.${n % 250} 9 typ host`, sdpMid: '0', sdpMLineIndex: 0 };
    junk.push(JSON.stringify({ type: n % 2 ? 'CANDIDATE' : 'ANSWER', dst, payload: n % 2 ? { candidate, type: 'data', connectionId: `dc_lost${n}` } : { sdp: { type: 'answer', sdp: 'v=0' }, type: 'data', connectionId: `dc_lost${n}` } }));
  }
  return junk;
}

/**
 * Runs in a page of Ferry's own origin: `count` broker identities that hold the link,
 * each offering the sender a real, reliable, raw data channel every `everyMs` — just
 * as a receiver would, with a valid ticket — that opens and then never says hello.
 * Sets window.stopBogus to a function that stops them.
 */
function bogusReceivers({ senderId, secret, count, everyMs }: { senderId: string; secret: string; count: number; everyMs: number }): void {
  // The ticket of transfer/auth.ts offerTicket, made with WebCrypto (this page is secure).
  const bytes = (text: string) => new TextEncoder().encode(text);
  const key = crypto.subtle.importKey('raw', Uint8Array.from(atob(secret.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const ticket = async (src: string, connectionId: string) => {
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key, bytes(`ferry-v2 offer ${src} ${connectionId}`)));
    return btoa(String.fromCharCode(...mac.subarray(0, 16))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const stops: Array<() => void> = [];
  const socketUrl = `${location.origin.replace(/^http/, 'ws')}/peerjs/peerjs?key=peerjs`;
  for (let n = 0; n < count; n++) {
    const token = Math.random().toString(36).slice(2, 12);
    const id = `bogus${n}x${token}`;
    const ws = new WebSocket(`${socketUrl}&id=${id}&token=${token}`);
    const connections = new Map<string, RTCPeerConnection>();
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { type: string; payload?: { connectionId: string; sdp?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit } };
      const pc = message.payload && connections.get(message.payload.connectionId);
      if (message.type === 'OPEN') offerAgain();
      else if (message.type === 'ANSWER' && pc) void pc.setRemoteDescription(message.payload!.sdp!);
      else if (message.type === 'CANDIDATE' && pc) void pc.addIceCandidate(message.payload!.candidate!).catch(() => {});
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const offerAgain = () => {
      const connectionId = `dc_${Math.random().toString(36).slice(2, 12)}`;
      const pc = new RTCPeerConnection({ iceServers: [] });
      connections.set(connectionId, pc);
      pc.createDataChannel(connectionId);
      pc.onicecandidate = ({ candidate }) => {
        if (candidate) ws.send(JSON.stringify({ type: 'CANDIDATE', dst: senderId, payload: { candidate, type: 'data', connectionId } }));
      };
      void pc.createOffer().then(async (offer) => {
        await pc.setLocalDescription(offer);
        const metadata = { ticket: await ticket(id, connectionId) };
        ws.send(JSON.stringify({ type: 'OFFER', dst: senderId, payload: { sdp: offer, type: 'data', connectionId, label: connectionId, serialization: 'raw', reliable: true, metadata } }));
      });
      timer = setTimeout(offerAgain, everyMs);
    };
    stops.push(() => {
      clearTimeout(timer);
      ws.close();
      for (const pc of connections.values()) pc.close();
    });
  }
  (window as unknown as { stopBogus: () => void }).stopBogus = () => stops.forEach((stop) => stop());
}

/** RTCPeerConnections of the page that are not closed. */
const livePeerConnections = (page: Page) =>
  page.evaluate(() => window.__peerConnections.filter((pc) => pc.connectionState !== 'closed' && pc.signalingState !== 'closed').length);

describe('a flood of bogus connections to a sender', () => {
  it('leaves the sender serving a real receiver, with its connections bounded and all let go afterwards', async () => {
    const file = await randomFixture(ferry.dir, 'flooded.bin', 2 * 1024 * 1024);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    const senderId = senderIdOf(link);
    const before = await livePeerConnections(sender);

    // Junk over the broker, from another address…
    for (let n = 0; n < 2; n++) {
      const { ws } = await brokerClient(`junk${n}`, `j${n}`);
      for (const message of junkFor(senderId)) ws.send(message);
    }
    // …and seven identities that hold the link, offering real channels that never prove the secret.
    const { page: attacker } = await newPage(ferry.receiverBrowser);
    await attacker.goto(`${ferry.origin}/#/`);
    await attacker.evaluate(bogusReceivers, { senderId, secret: secretOf(link), count: 7, everyMs: 2_000 });

    let peak = 0;
    const watching = setInterval(() => void livePeerConnections(sender).then((live) => (peak = Math.max(peak, live))).catch(() => {}), 250);
    try {
      await receiveIntact(link, [file]);
    } finally {
      clearInterval(watching);
      await attacker.evaluate(() => (window as unknown as { stopBogus: () => void }).stopBogus());
    }
    console.log(`bogus flood: at most ${peak} live connections on the sender (${before} before)`);
    // 8 unproven seats, the real receiver, and what was there before.
    expect(peak).toBeLessThanOrEqual(before + 8 + 1);
    await expect.poll(() => sender.getByTestId('receiver-row').count()).toBe(1);
    // Every bogus connection is let go once it misses its deadline to prove the secret.
    await expect.poll(() => livePeerConnections(sender), { timeout: 30_000 }).toBeLessThanOrEqual(before);
    expect(pageErrors.filter((error) => error.startsWith(ferry.origin))).toEqual([]);
    await Promise.all([sender.close(), attacker.close()]);
  });
});

describe('names a sender chose', () => {
  it('save on a phone as well-formed names, and Save all into a folder renames instead of overwriting', async () => {
    const emoji = `${'😀'.repeat(120)}.txt`; // cut in the middle of a pair, it broke the download header
    const files = [
      { name: emoji, mimeType: 'text/plain', buffer: Buffer.from('emoji') },
      { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('one') },
      { name: 'A.txt', mimeType: 'text/plain', buffer: Buffer.from('two') },
      { name: 'CON .txt', mimeType: 'text/plain', buffer: Buffer.from('device') },
    ];
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    await sender.locator('input[type=file]').setInputFiles(files);
    const link = await sender.getByTestId('share-link').inputValue();

    const { page: receiver, context } = await newPage(ferry.receiverBrowser);
    // "The folder the person picked": a real directory handle, in the origin's private file system.
    await context.addInitScript(() => {
      (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async () =>
        (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
    });
    await receiver.goto(`${ferry.origin}/#/`);
    await untilControlled(receiver);
    await receiver.evaluate(async () => {
      const picked = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
      const writable = await (await picked.getFileHandle('a.txt', { create: true })).createWritable();
      await writable.write('already here');
      await writable.close();
    });
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 60_000);

    // One by one, through the service worker's stream, as a phone saves.
    const saved = await saveAll(receiver);
    expect(saved.every((one) => one.url.startsWith(ferry.origin))).toBe(true);
    const emojiSaved = saved.find((one) => one.name.startsWith('😀'))!;
    expect(emojiSaved.name).toMatch(/^(😀)+\.txt$/u);
    expect(Buffer.byteLength(emojiSaved.name)).toBeLessThanOrEqual(255);
    expect(saved.map((one) => one.name)).not.toContain('CON .txt');

    await receiver.getByTestId('save-all').click();
    const folder = () =>
      receiver.evaluate(async () => {
        const picked = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked');
        const found: Record<string, string> = {};
        for await (const [name, handle] of picked as unknown as AsyncIterable<[string, FileSystemFileHandle]>) {
          found[name] = await (await handle.getFile()).text();
        }
        return found;
      });
    await expect.poll(async () => Object.keys(await folder()).length).toBe(5);
    const contents = await folder();
    expect(contents['a.txt']).toBe('already here');
    expect(Object.values(contents).sort()).toEqual(['already here', 'device', 'emoji', 'one', 'two']);
    // Apart in name even where a file system ignores case.
    expect(new Set(Object.keys(contents).map((name) => name.toLowerCase())).size).toBe(5);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

describe('a page on another site', () => {
  /** What a page can do with the broker from where it is: open its socket, read an id. */
  async function brokerFrom(page: Page): Promise<{ socket: string; id: string }> {
    return page.evaluate(async (ferryOrigin) => {
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${ferryOrigin.replace(/^http/, 'ws')}/peerjs/peerjs?key=peerjs&id=probe${Date.now()}&token=t`);
        ws.onopen = () => {
          resolve('open');
          ws.close();
        };
        ws.onerror = () => resolve('refused');
      });
      const id = await fetch(`${ferryOrigin}/peerjs/peerjs/id`)
        .then((response) => response.text())
        .catch(() => 'blocked');
      return { socket, id };
    }, ferry.origin);
  }

  it('cannot open the broker’s WebSocket or read a broker id; Ferry’s own page can', async () => {
    const elsewhere = http.createServer((_request, response) => response.end('<!doctype html><title>Elsewhere</title>'));
    await new Promise<void>((resolve) => elsewhere.listen(0, new URL(ferry.origin).hostname, resolve));
    try {
      const { page } = await newPage(ferry.receiverBrowser);
      await page.goto(`http://${new URL(ferry.origin).hostname}:${(elsewhere.address() as AddressInfo).port}/`);
      expect(await brokerFrom(page)).toEqual({ socket: 'refused', id: 'blocked' });

      await page.goto(ferry.origin);
      const own = await brokerFrom(page);
      expect(own.socket).toBe('open');
      expect(own.id).toMatch(/^[0-9a-f-]{36}$/);
      await page.close();
    } finally {
      elsewhere.close();
    }
  });
});
