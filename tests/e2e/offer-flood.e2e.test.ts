// A holder of the link floods the sender with real offers, each with a valid ticket,
// from another address. The sender's page admits them and answers every one; those
// answers must not cost it its broker connection, and a real receiver downloads
// meanwhile.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import NodeWebSocket from 'ws';
import { offerTicket } from '../../app/src/transfer/auth.ts';
import { newPage, randomFixture, saveAll, share, useFerry, waitForState } from './harness.ts';

const ferry = useFerry();

/** Counts, in the page, how often its broker connection closed (window.brokerCloses). */
function countBrokerCloses(): void {
  const Native = window.WebSocket;
  const counted = window as unknown as { brokerCloses: number };
  counted.brokerCloses = 0;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (String(url).includes('/peerjs/peerjs')) this.addEventListener('close', () => (counted.brokerCloses += 1));
    }
  };
}

/** A real data-channel offer, made by a browser, which the flood sends again and again. */
function browserOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('flood');
    const offer = await pc.createOffer();
    pc.close();
    return offer.sdp!;
  });
}

interface Flooder {
  answers: number;
  stop(): void;
}

/** `sockets` broker identities from the other address, each offering the sender a channel every `everyMs`. */
async function floodOffers(link: string, sdp: string, sockets: number, everyMs: number): Promise<Flooder> {
  const [, senderId, secret] = /#\/r\/([^/]+)\/([^/]+)\//.exec(link)!;
  const flooder = { answers: 0, stop: () => {} };
  const stops = await Promise.all(
    Array.from({ length: sockets }, async (_, n) => {
      const id = `flooder${n}`;
      const ws = new NodeWebSocket(`${ferry.origin.replace(/^http/, 'ws')}/peerjs/peerjs?key=peerjs&id=${id}&token=f${n}`, {
        localAddress: process.env.FERRY_TEST_OTHER_HOST,
      });
      ws.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'ANSWER') flooder.answers += 1;
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      let count = 0;
      const timer = setInterval(() => {
        const connectionId = `dc_${n}_${count++}`;
        const metadata = { ticket: offerTicket(secret!, id, connectionId) };
        const payload = { sdp: { type: 'offer', sdp }, type: 'data', connectionId, label: connectionId, serialization: 'raw', reliable: true, metadata };
        ws.send(JSON.stringify({ type: 'OFFER', dst: senderId, payload }));
      }, everyMs);
      return () => {
        clearInterval(timer);
        ws.terminate();
      };
    }),
  );
  flooder.stop = () => stops.forEach((stop) => stop());
  return flooder;
}

it('neither costs the sender its broker connection nor keeps a real receiver from downloading', async () => {
  const file = await randomFixture(ferry.dir, 'offered.bin', 64 * 1024);
  const { page: sender, context: senderContext } = await newPage(ferry.senderBrowser);
  await senderContext.addInitScript(countBrokerCloses);
  const link = await share(sender, ferry.origin, [file.path]);
  const { page: receiver } = await newPage(ferry.receiverBrowser);
  await receiver.goto(`${ferry.origin}/#/`);
  const sdp = await browserOffer(receiver);

  // Three identities, 40 offers a second each: the sender's answers and candidates
  // alone are more than its own budget of 200 at once and 50 a second.
  const flooder = await floodOffers(link, sdp, 3, 25);
  let receiverMs = 0;
  try {
    await expect.poll(() => flooder.answers, { timeout: 30_000 }).toBeGreaterThan(150);
    const opened = performance.now();
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 60_000);
    receiverMs = performance.now() - opened;
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
  } finally {
    flooder.stop();
  }
  console.log(`offer flood: the sender answered ${flooder.answers} offers; the real receiver took ${receiverMs.toFixed(0)} ms from opening the link to done`);
  expect(await sender.evaluate(() => (window as unknown as { brokerCloses: number }).brokerCloses)).toBe(0);
  await Promise.all([sender.close(), receiver.close()]);
});
