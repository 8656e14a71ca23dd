// Ferry in real browsers, attacked the ways the hostile-input review found: someone
// who knows a sender's peer id (it is in the link) tries to take the share offline
// or take it over; a page on another site tries to use the broker.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
// Named apart from the browser's WebSocket, which page.evaluate bodies below use.
import NodeWebSocket from 'ws';
import { newPage, randomFixture, saveAll, share, waitForState, useFerry, type Fixture } from './harness.ts';

const ferry = useFerry();
const sockets: NodeWebSocket[] = [];
afterAll(() => sockets.forEach((ws) => ws.terminate()));

/** A broker client from this process (no Origin: a program, not a page). Resolves with the broker's first word. */
function brokerClient(id: string, token: string): Promise<{ ws: NodeWebSocket; first: string }> {
  const ws = new NodeWebSocket(`${ferry.origin.replace(/^http/, 'ws')}/peerjs/peerjs?key=peerjs&id=${id}&token=${token}`);
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

    // Reloaded, the page waits for its files again; its id waits for it.
    await sender.reload();
    await sender.getByRole('heading', { name: 'Your share is still open' }).waitFor();
    expect((await brokerClient(id, 'squatter')).first).toBe('ID-TAKEN');
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    await receiveIntact(link, [file]);
    await sender.close();
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
