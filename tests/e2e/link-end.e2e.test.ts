/**
 * Links that end, between two Chromium instances: the sender stops sharing while a
 * download runs, and a link that expires after the first complete download.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  bytesReceived,
  MiB,
  newPage,
  pageErrors,
  randomFixture,
  share,
  stateHistory,
  statusOf,
  untilReceived,
  useFerry,
  waitForState,
} from './harness.ts';
import { holdReads, PROGRESS_LAG } from './held-reads.ts';

const ferry = useFerry();

/** The reason the receiver's page gives for a link that ended, once it shows one. */
async function untilEnded(page: Page, reason: string): Promise<void> {
  try {
    await expect.poll(() => page.getByTestId('link-ended').getAttribute('data-reason', { timeout: 1000 }).catch(() => null), { timeout: 30_000 }).toBe(reason);
  } catch (error) {
    // What the page showed instead says where it went wrong.
    const shown = await page.locator('main').innerText({ timeout: 1000 }).catch(() => '(nothing)');
    throw new Error(`${(error as Error).message}\nThe page showed: ${shown}\nStates: ${(await stateHistory(page)).join(' → ')}`);
  }
}

/** Connections the page offered (PeerJS also makes one, unused, to see what the browser supports). */
function dials(page: Page): Promise<number> {
  return page.evaluate(() => window.__peerConnections.filter((pc) => pc.localDescription).length);
}

/** A receiver in a context of its own opens the link. */
async function opens(link: string): Promise<Page> {
  const { page } = await newPage(ferry.receiverBrowser);
  await page.goto(link);
  return page;
}

describe('links that end', () => {
  it('stopping while a download runs: the receiver is told, keeps what it has and does not call again; a later one is told at once', async () => {
    const file = await randomFixture(ferry.dir, 'stopped.bin', 48 * MiB);
    const { context: senderContext, page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    // The download stays mid-way until the test acts, however fast the machine.
    await sender.evaluate(holdReads, MiB + PROGRESS_LAG);
    const receiver = await opens(link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    await untilReceived(receiver, MiB, 60_000);

    await sender.getByTestId('stop-sharing').click();
    await sender.getByTestId('stop-sharing-confirm').click();
    await untilEnded(receiver, 'stopped');
    expect(await statusOf(receiver).getAttribute('data-state')).toBe('ended');
    const kept = await bytesReceived(receiver);
    expect(kept).toBeGreaterThan(MiB);
    expect(kept).toBeLessThan(file.size);
    await expect.poll(() => sender.getByTestId('share-finished').getAttribute('data-ended')).toBe('stopped');
    expect(await statusOf(sender).first().getAttribute('data-state')).toBe('ended');

    // Someone who opens the link now hears it from the sender's page, and nothing about the files.
    const late = await opens(link);
    await untilEnded(late, 'stopped');
    expect(await late.locator('.files li').count()).toBe(0);
    expect(await late.getByTestId('download').count()).toBe(0);

    // The first receiver never called again.
    expect(await stateHistory(receiver)).not.toContain('reconnecting');
    expect(await dials(receiver)).toBe(1);
    // Reopened, the link says so at once, from what is stored, without calling at all.
    await receiver.reload();
    await untilEnded(receiver, 'stopped');
    expect(await bytesReceived(receiver)).toBe(kept);
    expect(await dials(receiver)).toBe(0);

    await Promise.all([senderContext.close(), receiver.context().close(), late.context().close()]);
  });

  it('a link that expires after the first download: the next receiver is told, and the sender, reloaded, offers new files first', async () => {
    const file = await randomFixture(ferry.dir, 'once.bin', 64 * 1024);
    const { context: senderContext, page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    await sender.getByTestId('expiry').selectOption('first-download');
    await expect.poll(() => sender.locator('.share-life').innerText()).toContain('Ends after the first download');

    const first = await opens(link);
    await waitForState(first, 'waiting', 30_000);
    await first.getByTestId('download').click();
    await waitForState(first, 'done', 60_000);
    await expect.poll(() => sender.getByTestId('share-finished').getAttribute('data-ended'), { timeout: 30_000 }).toBe('expired');

    const second = await opens(link);
    await untilEnded(second, 'expired');
    expect(await second.locator('.files li').count()).toBe(0);

    // Back to Ferry: the share is over, and new files come first, not the same files again.
    await sender.reload();
    const card = sender.getByTestId('share-finished');
    await expect.poll(() => card.getAttribute('data-ended', { timeout: 1000 }).catch(() => null), { timeout: 30_000 }).toBe('expired');
    expect(await card.innerText()).toContain('Sent to 1 receiver');
    expect(await card.locator('button').evaluateAll((buttons) => buttons.map((button) => button.dataset.testid ?? null))).toEqual(['send-new']);
    expect(await sender.locator('input[type=file]').count()).toBe(0);
    // The reloaded page still answers the dead link.
    const third = await opens(link);
    await untilEnded(third, 'expired');

    await sender.getByTestId('send-new').click();
    await sender.locator('input[type=file]').waitFor({ state: 'attached' });
    expect(await card.count()).toBe(0);

    await Promise.all([senderContext.close(), ...[first, second, third].map((page) => page.context().close())]);
    expect(pageErrors).toEqual([]);
  });
});
