/**
 * Ferry on a phone: a 360 px Android Chrome with touch, in Russian or English. The
 * layout must not scroll sideways (also at 200% text), every control must be big
 * enough for a finger and have a name a screen reader can say, the language must
 * follow the browser and the person's choice, and the screen must stay on while
 * files move — and only then.
 */
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { holdReads, releaseReads } from './held-reads.ts';
import { MiB, newPage, pageErrors, phone, randomFixture, share, useFerry, waitForState } from './harness.ts';

const ferry = useFerry();

interface Problem {
  what: string;
  where: string;
}

/** Horizontal overflow, and visible controls smaller than 44×44 CSS px. */
function layoutProblems(page: Page): Promise<Problem[]> {
  return page.evaluate(() => {
    const problems: { what: string; where: string }[] = [];
    const describe = (element: Element) =>
      `${element.tagName.toLowerCase()} "${(element.textContent ?? '').trim().slice(0, 40) || element.getAttribute('aria-label')}"`;
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) {
      problems.push({ what: `page is ${document.documentElement.scrollWidth}px wide in a ${width}px viewport`, where: 'html' });
    }
    // A hidden file input, and a checkbox, are operated through their labels: that is what a finger hits.
    const controls = Array.from(
      document.querySelectorAll(
        'button, a[href], select, input:not([type=hidden]):not([type=checkbox]):not(.visually-hidden), label:has(> input[type=file]), label:has(> input[type=checkbox])',
      ),
    );
    for (const control of controls) {
      const box = control.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown
      if (box.width < 44 || box.height < 44) {
        problems.push({ what: `${Math.round(box.width)}×${Math.round(box.height)} touch target`, where: describe(control) });
      }
      if (box.left < 0 || box.right > width) {
        problems.push({ what: `reaches outside the viewport (${Math.round(box.left)}–${Math.round(box.right)})`, where: describe(control) });
      }
    }
    return problems;
  });
}

/** Controls in the browser's own accessibility tree that a screen reader could not name. */
async function unnamedControls(context: BrowserContext, page: Page): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
  };
  await cdp.detach();
  const controls = new Set(['button', 'link', 'textbox', 'combobox', 'checkbox', 'radio', 'slider', 'progressbar', 'menuitem', 'tab']);
  const roles = nodes.filter((node) => !node.ignored && controls.has(node.role?.value ?? ''));
  expect(roles.length).toBeGreaterThan(0);
  return roles.filter((node) => !node.name?.value.trim()).map((node) => node.role!.value);
}

async function expectPhoneFriendly(context: BrowserContext, page: Page): Promise<void> {
  expect(await layoutProblems(page)).toEqual([]);
  expect(await unnamedControls(context, page)).toEqual([]);
}

/** Text at 200%, as a person who sets large text in Chrome gets it. */
async function largeText(page: Page): Promise<void> {
  await page.evaluate(() => (document.documentElement.style.fontSize = '200%'));
}

const heading = (page: Page) => page.locator('h1').innerText();

/*
 * What the stylesheet should make of a view, measured from the browser's own layout,
 * so that a rule the CSS parser dropped shows here.
 */

/** Whether the transfer's progress bar spans its card, as a thumb-wide bar on a phone should. */
function progressFillsCard(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const progress = document.querySelector('[data-testid=transfer-status] progress')!;
    const card = progress.closest('.card')!;
    const style = getComputedStyle(card);
    const content = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return Math.abs(progress.getBoundingClientRect().width - content) <= 1;
  });
}

/** The space between the share's expiry choice and the Stop sharing button below it, in CSS px. */
function spaceAboveStop(page: Page): Promise<number> {
  return page.evaluate(
    () => document.querySelector('[data-testid=stop-sharing]')!.getBoundingClientRect().top - document.querySelector('[data-testid=expiry]')!.getBoundingClientRect().bottom,
  );
}

/** The colour a page's `.error` text is painted in, against the stylesheet's --error. */
function errorColours(page: Page) {
  return page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--error');
    document.body.append(probe);
    const expected = getComputedStyle(probe).color;
    probe.remove();
    return { shown: getComputedStyle(document.querySelector('.error')!).color, expected };
  });
}

/**
 * Records the page's screen wake locks as the real API hands them out: how many
 * are held now, and each take and release with the transfer's state at the time.
 */
function recordWakeLocks(): void {
  const log: string[] = [];
  const state = () => document.querySelector('[data-testid=transfer-status]')?.getAttribute('data-state') ?? 'none';
  Object.assign(window, { __wakeLocks: { held: 0, log } });
  const counts = (window as unknown as { __wakeLocks: { held: number } }).__wakeLocks;
  const request = WakeLock.prototype.request;
  WakeLock.prototype.request = async function (this: WakeLock, type?: WakeLockType) {
    try {
      const sentinel = await request.call(this, type);
      counts.held += 1;
      log.push(`taken while ${state()}`);
      sentinel.addEventListener('release', () => {
        counts.held -= 1;
        log.push(`released while ${state()}`);
      });
      return sentinel;
    } catch (error) {
      log.push(`refused: ${(error as Error).name}: ${(error as Error).message}`);
      throw error;
    }
  };
}

function wakeLocks(page: Page): Promise<{ held: number; log: string[] }> {
  return page.evaluate(() => (window as unknown as { __wakeLocks: { held: number; log: string[] } }).__wakeLocks);
}

/**
 * Records notifications instead of depending on a notification daemon, through
 * either way Ferry may show one, and can make the page look hidden (as it is when
 * the person switched to another app) while staying rendered.
 */
function recordNotifications(): void {
  const shown: string[] = [];
  Object.assign(window, { __notifications: shown });
  const Native = window.Notification;
  window.Notification = class extends Native {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      shown.push(`${title}: ${options?.body ?? ''}`);
    }
  } as typeof Notification;
  ServiceWorkerRegistration.prototype.showNotification = async function (title: string, options?: NotificationOptions) {
    shown.push(`${title}: ${options?.body ?? ''}`);
  };
  const hidden = Object.getOwnPropertyDescriptor(Document.prototype, 'hidden')!.get!;
  const visibility = Object.getOwnPropertyDescriptor(Document.prototype, 'visibilityState')!.get!;
  const away = () => (window as unknown as { __away?: boolean }).__away === true;
  Object.defineProperty(document, 'hidden', { get: () => away() || hidden.call(document) });
  Object.defineProperty(document, 'visibilityState', { get: () => (away() ? 'hidden' : visibility.call(document)) });
}

/**
 * Stands in for a phone's share sheet, which Chromium on Linux has none of: the page
 * is told files can be shared, and what it hands over is kept, each file's name and
 * SHA-256, as the sheet would receive it.
 */
function recordShareSheet(): void {
  const handed: Promise<{ name: string; sha256: string }[]>[] = [];
  Object.assign(window, { __shared: handed });
  Object.assign(navigator, {
    canShare: (data?: ShareData) => (data?.files?.length ?? 0) > 0,
    share: async (data: ShareData) => {
      const digest = async (file: File) =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer())), (byte) => byte.toString(16).padStart(2, '0')).join('');
      handed.push(Promise.all((data.files ?? []).map(async (file) => ({ name: file.name, sha256: await digest(file) }))));
    },
  });
}

function sharedFiles(page: Page): Promise<{ name: string; sha256: string }[][]> {
  return page.evaluate(() => Promise.all((window as unknown as { __shared: Promise<{ name: string; sha256: string }[]>[] }).__shared));
}

function notifications(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __notifications: string[] }).__notifications);
}

/** A phone page that records wake locks and notifications, with both allowed. */
async function phonePage(browser: Parameters<typeof newPage>[0], locale: string) {
  const opened = await newPage(browser, phone(locale));
  // Headless Chromium refuses wake locks to this origin ("Wake Lock permission
  // request denied") until the permission is granted, as a phone's browser does for
  // a visible page.
  await opened.context.grantPermissions(['screen-wake-lock', 'notifications'], { origin: ferry.origin });
  await opened.context.addInitScript(recordWakeLocks);
  await opened.context.addInitScript(recordNotifications);
  return opened;
}

/** An English phone shares a file of `size` bytes; a Russian phone opens the link and sees the offer. */
async function offered(name: string, size: number) {
  const file = await randomFixture(ferry.dir, name, size);
  const sender = await phonePage(ferry.senderBrowser, 'en-US');
  const link = await share(sender.page, ferry.origin, [file.path]);
  const receiver = await phonePage(ferry.receiverBrowser, 'ru-RU');
  await receiver.page.goto(link);
  await waitForState(receiver.page, 'waiting', 20_000);
  return { sender, receiver };
}

describe('Ferry on a phone', () => {
  it('speaks Russian to a Russian phone, switches to English, and remembers the choice', async () => {
    const { context, page } = await phonePage(ferry.senderBrowser, 'ru-RU');
    await page.goto(ferry.origin);
    await expect.poll(() => heading(page)).toBe('Отправить файлы');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
    expect(await page.getByRole('combobox', { name: 'Язык' }).inputValue()).toBe('ru');
    await expectPhoneFriendly(context, page);

    await page.getByRole('combobox', { name: 'Язык' }).selectOption('en');
    await expect.poll(() => heading(page)).toBe('Send files');
    expect(await page.evaluate(() => [document.documentElement.lang, document.title])).toEqual(['en', 'Ferry — send files by link']);
    await expectPhoneFriendly(context, page);

    await page.reload();
    await expect.poll(() => heading(page)).toBe('Send files');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('en');

    await largeText(page);
    expect(await layoutProblems(page)).toEqual([]);
    await expect(page.getByText('Choose files').isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('fits the sender’s view with its link on a 360 px screen, also at 200% text', async () => {
    const file = await randomFixture(ferry.dir, 'a-rather-long-file-name-that-has-no-spaces-in-it-at-all.bin', 1000);
    const { context, page } = await phonePage(ferry.senderBrowser, 'ru-RU');
    await share(page, ferry.origin, [file.path]);
    await expect.poll(() => heading(page)).toBe('Готово к отправке');
    await page.getByRole('button', { name: 'Копировать ссылку' }).waitFor();
    await expectPhoneFriendly(context, page);
    expect(await spaceAboveStop(page)).toBeGreaterThanOrEqual(8);

    await largeText(page);
    expect(await layoutProblems(page)).toEqual([]);
    for (const control of [page.getByTestId('share-link'), page.getByRole('button', { name: 'Копировать ссылку' })]) {
      await control.scrollIntoViewIfNeeded();
      await expect(control.isVisible()).resolves.toBe(true);
    }
    await context.close();
  });

  it('holds a wake lock on both phones only while files move, and shows the receiver’s view in Russian', async () => {
    const { sender, receiver } = await offered('wake.bin', 40 * MiB);
    expect(await wakeLocks(receiver.page)).toEqual({ held: 0, log: [] });
    await expectPhoneFriendly(receiver.context, receiver.page);

    // Held a MiB in, so the view can be measured while the files move.
    await sender.page.evaluate(holdReads, MiB);
    await receiver.page.getByTestId('download').click();
    await waitForState(receiver.page, 'transferring', 60_000);
    expect(await progressFillsCard(receiver.page)).toBe(true);
    // Held: nothing more arrives, and the speed measured before is no longer shown as if it held.
    await receiver.page.locator('.figures[data-stalled=true]').waitFor({ timeout: 20_000 });
    expect(await receiver.page.locator('p.figures').innerText()).toBe('Уже несколько секунд ничего не приходит');
    // Both tabs say how far it is, for a person looking at another tab.
    await expect.poll(() => receiver.page.title()).toMatch(/^\d{1,2}% · Ferry$/);
    await expect.poll(() => sender.page.title()).toMatch(/^Sending to 1 · \d{1,2}% · Ferry$/);
    await sender.page.evaluate(releaseReads);
    await waitForState(receiver.page, 'done', 120_000);
    await waitForState(sender.page, 'done', 20_000);
    await expect.poll(() => receiver.page.title()).toBe('Готово · Ferry');
    await expect.poll(() => sender.page.title()).toBe('Sent to 1 ✓ · Ferry');

    for (const { page } of [receiver, sender]) {
      await expect.poll(async () => (await wakeLocks(page)).held).toBe(0);
      const { log } = await wakeLocks(page);
      expect(log[0]).toBe('taken while transferring');
      expect(log.at(-1)).toMatch(/^released while (done|verifying)$/);
      expect(log.filter((entry) => entry.startsWith('taken'))).toHaveLength(1);
      // Visible pages: nothing to notify about even though notifications are allowed.
      expect(await notifications(page)).toEqual([]);
    }

    await expect.poll(() => heading(receiver.page)).toBe('Получение файлов');
    // The English phone's own description, worded in Russian.
    await expect(receiver.page.getByTestId('sender-device').innerText()).resolves.toMatch(/^Отправитель: Chrome \d+ на Android \(с его слов\)$/);
    await expect(receiver.page.getByTestId('transfer-status').innerText()).resolves.toMatch(/Готово/);
    await expect(receiver.page.locator('.summary').first().innerText()).resolves.toMatch(/^1 файл, всего 41,9 МБ$/);
    await receiver.page.getByRole('button', { name: 'Сохранить wake.bin' }).waitFor();
    await expectPhoneFriendly(receiver.context, receiver.page);
    await largeText(receiver.page);
    expect(await layoutProblems(receiver.page)).toEqual([]);
    await Promise.all([sender.context.close(), receiver.context.close()]);
  });

  it('notifies both sides when a transfer finishes while their pages are in the background', async () => {
    const { sender, receiver } = await offered('background.bin', 2 * MiB);
    // From now on both pages look hidden, as when the person switched apps.
    for (const { page } of [sender, receiver]) {
      await page.evaluate(() => Object.assign(window, { __away: true }));
      expect(await page.evaluate(() => document.hidden)).toBe(true);
    }
    await receiver.page.getByTestId('download').click();
    await waitForState(receiver.page, 'done', 60_000);

    await expect.poll(() => notifications(receiver.page)).toEqual(['Файлы получены: Получен 1 файл, контрольные суммы совпали.']);
    await expect.poll(() => notifications(sender.page)).toEqual([expect.stringMatching(/^Files sent: Chrome \d+ on Android \(self-reported\) has every file\.$/)]);
    await Promise.all([sender.context.close(), receiver.context.close()]);
  });

  it('paints a damaged link’s explanation in the error colour', async () => {
    const { context, page } = await phonePage(ferry.receiverBrowser, 'en-US');
    await page.goto(`${ferry.origin}/#/r/cut-short`);
    await page.getByTestId('bad-link').waitFor();
    const { shown, expected } = await errorColours(page);
    expect(shown).toBe(expected);
    expect(shown).not.toBe(await page.evaluate(() => getComputedStyle(document.body).color));
    await context.close();
  });

  it('calls a link cut short incomplete, in Russian too, and offers the way home', async () => {
    const { context, page } = await phonePage(ferry.receiverBrowser, 'ru-RU');
    // The sender's key cut off where a message wrapped.
    await page.goto(`${ferry.origin}/#/r/abcdefgh12345678/AAAAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAA`);
    const explanation = page.getByTestId('bad-link').locator('[data-reason]');
    expect(await explanation.getAttribute('data-reason')).toBe('incomplete');
    expect(await explanation.innerText()).toBe('Ссылка неполная — скопируйте её ещё раз целиком.');
    await expectPhoneFriendly(context, page);
    await page.getByTestId('bad-link').getByRole('link', { name: 'Отправить файлы' }).click();
    await expect.poll(() => heading(page)).toBe('Отправить файлы');
    await context.close();
  });

  it('tells a browser without WebRTC so, on the home page and on a link, with no Try again that cannot help', async () => {
    const file = await randomFixture(ferry.dir, 'for-nobody.txt', 100);
    const sender = await newPage(ferry.senderBrowser);
    const link = await share(sender.page, ferry.origin, [file.path]);
    const { context, page } = await phonePage(ferry.receiverBrowser, 'en-US');
    // As a browser built without WebRTC, or one a privacy add-on stripped of it.
    await context.addInitScript(() => {
      for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription', 'RTCIceCandidate']) {
        delete (window as unknown as Record<string, unknown>)[name];
      }
    });
    await page.goto(ferry.origin);
    await expect(page.getByTestId('no-webrtc').innerText()).resolves.toMatch(/^This browser cannot send files: Ferry needs WebRTC/);
    expect(await page.getByText('Choose files').count()).toBe(0);

    await page.goto(link);
    await waitForState(page, 'error', 20_000);
    await expect(page.getByTestId('transfer-status').innerText()).resolves.toMatch(/^This browser cannot make direct connections\s+Ferry needs WebRTC/);
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    expect(await page.getByText('Cannot reach the Ferry server').count()).toBe(0);
    await Promise.all([context.close(), sender.context.close()]);
  });

  it('hands received files to the share sheet, where a phone saves them to Photos or Files', async () => {
    const files = [await randomFixture(ferry.dir, 'IMG_2042.jpg', 3000), await randomFixture(ferry.dir, 'receipt.pdf', 2000)];
    const sender = await newPage(ferry.senderBrowser);
    const link = await share(sender.page, ferry.origin, files.map((file) => file.path));
    const receiver = await phonePage(ferry.receiverBrowser, 'en-US');
    await receiver.context.addInitScript(recordShareSheet);
    await receiver.page.goto(link);
    await waitForState(receiver.page, 'waiting', 20_000);
    await receiver.page.getByTestId('download').tap();
    await waitForState(receiver.page, 'done', 60_000);
    await receiver.page.getByTestId('share-all').tap();
    await expect.poll(() => sharedFiles(receiver.page)).toEqual([files.map((file) => ({ name: path.basename(file.path), sha256: file.sha256 }))]);
    await expect.poll(() => receiver.page.getByTestId('saved').count()).toBe(2);
    await expectPhoneFriendly(receiver.context, receiver.page);
    await Promise.all([receiver.context.close(), sender.context.close()]);
  });

  it('lets the sender name its device once, and the receiver sees that name', async () => {
    const file = await randomFixture(ferry.dir, 'named.txt', 100);
    const sender = await newPage(ferry.senderBrowser);
    await sender.page.goto(ferry.origin);
    await sender.page.locator('.device-name summary').click();
    await sender.page.getByTestId('device-name').fill('Anna’s laptop');
    await sender.page.getByTestId('device-name-save').click();
    await sender.page.reload();
    // Remembered.
    await expect(sender.page.locator('.device-name summary').innerText()).resolves.toBe('This device: Anna’s laptop');
    const link = await share(sender.page, ferry.origin, [file.path]);
    const receiver = await phonePage(ferry.receiverBrowser, 'en-US');
    await receiver.page.goto(link);
    await waitForState(receiver.page, 'waiting', 20_000);
    await expect(receiver.page.getByTestId('sender-device').innerText()).resolves.toBe('From Anna’s laptop (self-reported)');
    await Promise.all([receiver.context.close(), sender.context.close()]);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
