/**
 * The server's presence, live on every view: the server stops and starts again on
 * the same port while a share, a receiver and an idle home page are open. And files
 * dropped anywhere on the page.
 */
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { newPage, pageErrors, randomFixture, share, startFerry, useFerry, waitForState } from './harness.ts';

const ferry = useFerry();

/** The notice must come and go within 5 s; a little more for a busy machine. */
const PRESENCE_WAIT_MS = 5000 + 2500;

/** Where the server ran, while it is stopped. */
let stoppedAt: number | null = null;

async function stopServer(): Promise<void> {
  stoppedAt = Number(new URL(ferry.origin).port);
  await ferry.server.close();
}

/** The server again, on the same port: pages that were open reach it where they did. */
async function restartServer(): Promise<void> {
  ferry.server = await startFerry({}, { port: stoppedAt! });
  stoppedAt = null;
}

afterEach(async () => {
  // A test that failed with the server stopped leaves it running for the next one.
  if (stoppedAt !== null) await restartServer();
  expect(pageErrors).toEqual([]);
});

/** Resolves once every page shows the offline notice (or, `shown` false, none does). */
async function untilOffline(pages: Page[], shown: boolean): Promise<void> {
  await Promise.all(pages.map((page) => page.getByTestId('offline').waitFor({ state: shown ? 'visible' : 'detached', timeout: PRESENCE_WAIT_MS })));
}

/** Whether receivers can reach the share now, as the sender's page shows it. */
function untilBroker(sender: Page, status: string, timeout = PRESENCE_WAIT_MS): Promise<unknown> {
  return sender.waitForSelector(`[data-testid=share][data-broker=${status}]`, { timeout });
}

describe('the server’s presence', () => {
  it('every view says so within 5 s of the server going and of it coming back; the share registers again by itself', async () => {
    const file = await randomFixture(ferry.dir, 'presence.bin', 64 * 1024);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    await untilBroker(sender, 'online');
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    const { page: home } = await newPage(ferry.receiverBrowser);
    await home.goto(ferry.origin);
    await home.getByTestId('share-password').waitFor();
    const pages = [sender, receiver, home];
    await untilOffline(pages, false);

    await stopServer();
    await untilOffline(pages, true);
    // The device still has its network: the notice says it is the server that does not answer.
    expect(await home.getByTestId('offline').getAttribute('data-reason')).toBe('server');
    expect(await home.getByTestId('offline').getByRole('heading').innerText()).toBe('The Ferry server does not answer');
    // The sender says nobody new can connect, and dims the link and its code, which stay.
    await sender.getByTestId('share-unreachable').waitFor({ timeout: PRESENCE_WAIT_MS });
    expect(await sender.getByTestId('share').getAttribute('class')).toContain('unreachable');
    expect(await sender.getByTestId('share-qr').isVisible()).toBe(true);
    expect(await sender.getByTestId('share-link').inputValue()).toBe(link);
    // A receiver already connected carries on: its channel is direct.
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 30_000);

    await restartServer();
    await untilOffline(pages, false);
    await untilBroker(sender, 'online');
    await sender.getByTestId('share-unreachable').waitFor({ state: 'detached' });
    expect(await sender.getByTestId('share').getAttribute('class')).not.toContain('unreachable');

    // Registered again: someone new gets the files through the same link.
    const { page: late } = await newPage(ferry.receiverBrowser);
    await late.goto(link);
    await waitForState(late, 'waiting', 20_000);
    await late.getByTestId('download').click();
    await waitForState(late, 'done', 30_000);
  });

  it('a receive view that could not reach the server tries again by itself once it is back', async () => {
    const file = await randomFixture(ferry.dir, 'later.bin', 4096);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    // No service worker, so that the test sees the page's requests (below).
    const { page: receiver } = await newPage(ferry.receiverBrowser, { serviceWorkers: 'block' });
    await receiver.goto(ferry.origin);
    await receiver.getByTestId('share-password').waitFor();

    await stopServer();
    await untilOffline([receiver], true);
    // The link opened in the page already loaded: its dial finds no server.
    await receiver.evaluate((hash) => (location.hash = hash), new URL(link).hash);
    await waitForState(receiver, 'error', 20_000);

    // Back, but this page hears of it only once the sender is registered again:
    // otherwise its dial could come first and find the sender not yet there.
    await receiver.route('**/healthz', (route) => route.abort());
    await restartServer();
    await untilBroker(sender, 'online');
    await receiver.unroute('**/healthz');
    await untilOffline([receiver], false);
    await receiver.waitForSelector('[data-testid=transfer-status]:not([data-state=error])', { timeout: PRESENCE_WAIT_MS });
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 30_000);
  });

  it('a share started while the server is away registers by itself once it is back', async () => {
    const file = await randomFixture(ferry.dir, 'early.bin', 4096);
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    await sender.getByTestId('share-password').waitFor();
    await stopServer();
    await untilOffline([sender], true);
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    await sender.locator('.error[role=alert]').waitFor();

    await restartServer();
    await untilBroker(sender, 'online');
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(await sender.getByTestId('share-link').inputValue());
    await waitForState(receiver, 'waiting', 20_000);
  });
});

/** Builds, in the page, a drag carrying one small file (or only text) and fires `type` at the element `selector`. */
function drag(page: Page, type: string, selector: string, { text = false, name = 'dropped.txt' } = {}): Promise<void> {
  return page.evaluate(
    ({ type, selector, text, name }) => {
      const data = new DataTransfer();
      if (text) data.setData('text/plain', 'selected words');
      else data.items.add(new File(['dropped on the page'], name, { type: 'text/plain' }));
      document.querySelector(selector)!.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
    },
    { type, selector, text, name },
  );
}

describe('files dropped anywhere', () => {
  it('on the home page: an overlay while dragging, steady over the page’s children, and a share once dropped', async () => {
    const { page } = await newPage(ferry.senderBrowser);
    await page.goto(ferry.origin);
    const overlay = page.getByTestId('drop-overlay');
    await page.getByTestId('share-password').waitFor();

    // Selected text dragged about is no drop of files.
    await drag(page, 'dragenter', 'header', { text: true });
    expect(await overlay.count()).toBe(0);
    await drag(page, 'dragleave', 'header', { text: true });
    // Nor is anything dragged from the page itself (Chromium offers a dragged image as a file).
    await drag(page, 'dragstart', 'h1');
    await drag(page, 'dragenter', 'header');
    expect(await overlay.count()).toBe(0);
    await drag(page, 'dragleave', 'header');
    await drag(page, 'dragend', 'h1');

    await drag(page, 'dragenter', 'header');
    await overlay.waitFor();
    expect(await overlay.getAttribute('role')).toBe('status');
    expect(await overlay.innerText()).toBe('Drop to share');
    // Over a child: its enter comes before the parent's leave, and the overlay stays.
    await drag(page, 'dragenter', 'h1');
    await drag(page, 'dragleave', 'header');
    expect(await overlay.isVisible()).toBe(true);
    await drag(page, 'dragleave', 'h1');
    await overlay.waitFor({ state: 'detached' });

    // Dropped on the header, far from the card that used to be the only place.
    await drag(page, 'dragenter', 'header');
    await drag(page, 'drop', 'header');
    await overlay.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('share-link').inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
    expect(await page.locator('.files').innerText()).toContain('dropped.txt');
  });

  it('on an open share: asks whether to share the dropped files instead, and keeps the share if not', async () => {
    const file = await randomFixture(ferry.dir, 'open.bin', 4096);
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, [file.path]);
    await drag(page, 'dragenter', 'main', { name: 'another.txt' });
    await page.getByTestId('drop-overlay').waitFor();
    await drag(page, 'drop', 'main', { name: 'another.txt' });
    const question = page.getByTestId('shared-question');
    await question.waitFor();
    expect(await question.innerText()).toContain('another.txt');
    await page.getByTestId('shared-decline').click();
    await question.waitFor({ state: 'detached' });
    expect(await page.getByTestId('share-link').inputValue()).toBe(link);

    await drag(page, 'drop', 'main', { name: 'another.txt' });
    await page.getByTestId('shared-accept').click();
    await expect.poll(() => page.getByTestId('share-link').inputValue(), { timeout: 15_000 }).not.toBe(link);
    expect(await page.locator('.files').innerText()).toContain('another.txt');
  });
});
