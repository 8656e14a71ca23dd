/**
 * Lanes (transfer/lanes.ts) between two Chromium instances: a receiver with much to
 * fetch opens further connections to the sender inside its session, its blocks come
 * over all of them, and the file it saves is the sender's, byte for byte.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MAX_LANES } from '../../app/src/transfer/lanes.ts';
import { MiB, newPage, pageErrors, payloadSent, randomFixture, saveAll, share, statusOf, useFerry, waitForState } from './harness.ts';
import { FIRST_READ_BYTES, holdReads, releaseReads } from './held-reads.ts';

const ferry = useFerry();

/** How many connections the receiving page's blocks come over, as it shows them. */
async function lanesOf(page: Page): Promise<number> {
  return Number(await statusOf(page).getAttribute('data-lanes'));
}

describe('lanes', () => {
  it('open beside the first connection, carry the file, and every byte arrives verified', async () => {
    const file = await randomFixture(ferry.dir, 'twelve.bin', 12 * MiB);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    // Nothing past the first reads goes until every lane is open: each lane has asked for its share by then.
    await sender.evaluate(holdReads, FIRST_READ_BYTES);
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await receiver.waitForFunction((lanes) => document.querySelector('[data-testid=transfer-status]')?.getAttribute('data-lanes') === String(lanes), MAX_LANES, {
      timeout: 30_000,
    });
    // Four connections from the receiving page to the sending one: the first, through the broker, and three lanes inside it.
    expect(await receiver.evaluate(() => window.__peerConnections.filter((pc) => pc.connectionState === 'connected').length)).toBe(1);
    expect(await receiver.evaluate(() => window.__lanes.filter((pc) => pc.connectionState === 'connected').length)).toBe(MAX_LANES - 1);
    await sender.evaluate(releaseReads);
    await waitForState(receiver, 'done', 60_000);
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    expect(await lanesOf(receiver)).toBe(MAX_LANES);
    expect(await payloadSent(sender)).toBe(file.size);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
