/**
 * The sender's page follows its share, between two Chromium instances: a receiver that
 * arrives is in view at once on a laptop's screen, the heading and both tabs' titles
 * follow the transfer, "Send other files" asks first and ends the link cleanly, and a
 * receiver's row says how many wrong passwords it gave.
 */
import type { BrowserContextOptions, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MiB, newPage, pageErrors, phone, randomFixture, share, startTransfer, statusOf, untilReceived, useFerry, waitForState } from './harness.ts';
import { releaseReads } from './held-reads.ts';

const ferry = useFerry();
const LAPTOP = { width: 1280, height: 800 };

/** A sender on a `screen` sets a password and/or "ask me first", then picks `file`. */
async function shareGated(file: string, gate: { password?: string; askFirst?: boolean }, screen: BrowserContextOptions = { viewport: LAPTOP }) {
  const { page: sender } = await newPage(ferry.senderBrowser, screen);
  const link = await share(sender, ferry.origin, [file], async (page) => {
    if (gate.password) await page.getByTestId('share-password').fill(gate.password);
    if (gate.askFirst) await page.getByTestId('ask-first').check();
  });
  const { page: receiver } = await newPage(ferry.receiverBrowser);
  await receiver.goto(link);
  return { sender, receiver };
}

/** Whether the element lies wholly inside the page's viewport, the page not scrolled. */
async function inViewUnscrolled(page: Page, testid: string): Promise<boolean> {
  return page.getByTestId(testid).first().evaluate((element) => {
    const box = element.getBoundingClientRect();
    return window.scrollY === 0 && box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth && box.height > 0;
  });
}

/** What the row says of its receiver: its kind (data-doing) and its words. */
async function rowSays(sender: Page): Promise<{ doing: string | null; words: string }> {
  const row = sender.getByTestId('receiver-row').first();
  return { doing: await row.getAttribute('data-doing'), words: await row.locator('[role=status]').first().innerText() };
}

/** Types a wrong password and waits until the sender has answered it. */
async function wrongPassword(receiver: Page, guess: string): Promise<void> {
  await receiver.getByTestId('password-input').fill(guess);
  await receiver.getByTestId('password-submit').click();
  await expect.poll(() => receiver.getByTestId('password-problem').count(), { timeout: 20_000 }).toBe(1);
  // Answered: the button is back, or the whole form is locked out (the field too is disabled then).
  const answered = async () =>
    !(await receiver.getByTestId('password-submit').isDisabled()) || (await receiver.getByTestId('password-input').isDisabled());
  await expect.poll(answered, { timeout: 20_000 }).toBe(true);
}

describe('the sender’s page', () => {
  it('shows a receiver that asks to be let in, with Allow, without scrolling on a 1280×800 screen', async () => {
    const file = await randomFixture(ferry.dir, 'in-view.bin', 4 * 1024);
    const { sender, receiver } = await shareGated(file.path, { askFirst: true });
    await expect(sender.getByTestId('share-heading').innerText()).resolves.toBe('Ready to send');
    await expect(sender.getByTestId('share-hint').innerText()).resolves.toBe('Keep this page open until the download finishes.');
    await waitForState(receiver, 'approval', 20_000);
    await expect.poll(() => sender.getByTestId('approve').count(), { timeout: 10_000 }).toBe(1);
    expect(await rowSays(sender)).toEqual({ doing: 'asking', words: 'Waiting for you to allow' });
    expect(await inViewUnscrolled(sender, 'receiver-row')).toBe(true);
    expect(await inViewUnscrolled(sender, 'approve')).toBe(true);
    await Promise.all([sender.context().close(), receiver.context().close()]);
  });

  it('brings a receiver asking to be let in into view on a phone, below the link', async () => {
    const file = await randomFixture(ferry.dir, 'in-view-phone.bin', 4 * 1024);
    const { sender, receiver } = await shareGated(file.path, { askFirst: true }, phone());
    await waitForState(receiver, 'approval', 20_000);
    const approve = sender.getByTestId('approve');
    await expect.poll(() => approve.count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => approve.evaluate((button) => button.getBoundingClientRect().top >= 0 && button.getBoundingClientRect().bottom <= innerHeight))
      .toBe(true);
    await Promise.all([sender.context().close(), receiver.context().close()]);
  });

  it('puts the transfer’s progress in both tabs’ titles while it is held mid-way, and says sent once it is done', async () => {
    const file = await randomFixture(ferry.dir, 'titles.bin', 48 * MiB);
    const { sender, senderContext, receiver, receiverContext } = await startTransfer(ferry, [file.path], { holdAt: MiB });
    await expect.poll(() => sender.title()).toMatch(/^Sending to 1 · \d+% · Ferry$/);
    await expect.poll(() => receiver.title()).toMatch(/^\d+% · Ferry$/);
    expect(await sender.getByTestId('share-heading').innerText()).toMatch(/^Sending to 1 · \d+%$/);
    // (Screen readers also hear the percentage, in steps of ten.)
    expect(await rowSays(sender)).toEqual({ doing: 'downloading', words: expect.stringMatching(/^Downloading\b/) });

    await sender.evaluate(releaseReads);
    await waitForState(receiver, 'done', 60_000);
    // Live, without a reload.
    await expect.poll(() => sender.getByTestId('share-heading').innerText(), { timeout: 20_000 }).toBe('Sent to 1 ✓');
    expect(await sender.title()).toBe('Sent to 1 ✓ · Ferry');
    // Nobody is waiting on this page any more but whoever else has the link.
    expect(await sender.getByTestId('share-hint').innerText()).toMatch(/^Everyone so far has the files/);
    expect(await receiver.title()).toBe('Done · Ferry');
    await Promise.all([senderContext.close(), receiverContext.close()]);
  });

  it('asks before “Send other files” ends a share mid-download; then the receiver is told sharing stopped, not that it failed', async () => {
    const file = await randomFixture(ferry.dir, 'send-other.bin', 48 * MiB);
    const { sender, senderContext, receiver, receiverContext } = await startTransfer(ferry, [file.path], { holdAt: MiB });
    await untilReceived(receiver, MiB);

    await sender.getByTestId('send-other').click();
    // Asked, and nothing has ended yet.
    await sender.getByTestId('send-other-confirm').waitFor();
    expect(await sender.getByTestId('share-link').count()).toBe(1);
    expect(await statusOf(receiver).getAttribute('data-state')).toBe('transferring');

    await sender.getByTestId('send-other-confirm').click();
    await waitForState(receiver, 'ended', 30_000);
    expect(await receiver.getByTestId('link-ended').getAttribute('data-reason')).toBe('stopped');
    expect(await receiver.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    // The sender is back at choosing files.
    await sender.getByTestId('share-password').waitFor();
    await Promise.all([senderContext.close(), receiverContext.close()]);
  });

  it('shows on a receiver’s row how many wrong passwords it gave, and its lockout', async () => {
    const file = await randomFixture(ferry.dir, 'wrong-passwords.bin', 4 * 1024);
    const { sender, receiver } = await shareGated(file.path, { password: 'paper boats' });
    await waitForState(receiver, 'password', 20_000);
    await expect.poll(() => rowSays(sender), { timeout: 10_000 }).toEqual({ doing: 'password', words: 'Entering the password' });

    await wrongPassword(receiver, 'paper boat');
    await wrongPassword(receiver, 'paper goats');
    await expect.poll(() => rowSays(sender)).toEqual({ doing: 'wrong-password', words: '2 wrong passwords' });
    for (const guess of ['one', 'two', 'three']) await wrongPassword(receiver, guess);
    await expect.poll(() => rowSays(sender)).toEqual({ doing: 'locked-out', words: '5 wrong passwords, locked for 1 minute' });
    await Promise.all([sender.context().close(), receiver.context().close()]);
  });

  it('offers the password and "Ask me first" before the file picker, in the page and in tab order', async () => {
    const { page } = await newPage(ferry.senderBrowser, { viewport: LAPTOP });
    await page.goto(ferry.origin);
    const order = await page.evaluate(() => {
      const picker = document.querySelector('input[type=file]')!;
      const before = (testid: string) =>
        Boolean(document.querySelector(`[data-testid=${testid}]`)!.compareDocumentPosition(picker) & Node.DOCUMENT_POSITION_FOLLOWING);
      return { password: before('share-password'), askFirst: before('ask-first') };
    });
    expect(order).toEqual({ password: true, askFirst: true });
    // Nothing reorders them for the keyboard.
    expect(await page.locator('[tabindex]:not([tabindex="-1"]):not([tabindex="0"])').count()).toBe(0);
    await page.context().close();
  });

  it('takes a password while sharing: a receiver who opens the link after it is asked for it', async () => {
    const file = await randomFixture(ferry.dir, 'password-later.bin', 4 * 1024);
    const { page: sender } = await newPage(ferry.senderBrowser, { viewport: LAPTOP });
    const link = await share(sender, ferry.origin, [file.path]);
    await sender.getByText('Add a password').click();
    await sender.getByTestId('add-password').fill('paper boats');
    await sender.getByTestId('set-password').click();
    await sender.getByTestId('password-on').waitFor();

    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'password', 20_000);
    await Promise.all([sender.context().close(), receiver.context().close()]);
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
