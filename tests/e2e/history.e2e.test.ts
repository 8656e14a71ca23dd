/**
 * The home page's history between two Chromium instances: the receiver's lists what
 * it received, from whom, and keeps it after the files were saved until it is
 * deleted; the sender's lists what it sent, to whom, and how the link ended.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, pageErrors, randomFixture, saveAll, share, useFerry, waitForState } from './harness.ts';

const ferry = useFerry();

/** The text of the home list's entries that went `direction`. */
function entries(page: Page, direction: 'received' | 'sent') {
  return page.getByTestId('stored-transfers').locator(`[data-testid=history-entry][data-direction=${direction}]`);
}

describe('the history on the home page', () => {
  it('lists what was received, from whom, and what was sent, to whom, kept until deleted', async () => {
    const files = [await randomFixture(ferry.dir, 'IMG_2041.jpg', 2000), await randomFixture(ferry.dir, 'plan.pdf', 1000)];
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, files.map((file) => file.path));
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 30_000);
    await saveAll(receiver);

    // Saved, and still listed: the files open and save again until the person deletes them.
    await receiver.goto(`${ferry.origin}/#/`);
    const got = entries(receiver, 'received');
    await expect
      .poll(() => got.innerText())
      .toMatch(/^IMG_2041\.jpg and 1 more\s+Received and saved · 3\.0 kB · from Chrome \d+ on Linux \(self-reported\) · .*\d{4}/);
    expect(await got.getByRole('link', { name: 'Open' }).count()).toBe(1);

    await waitForState(sender, 'done', 30_000);
    await sender.getByTestId('stop-sharing').click();
    await sender.getByTestId('stop-sharing-confirm').click();
    await sender.getByTestId('send-new').click();
    await expect
      .poll(() => entries(sender, 'sent').innerText())
      .toMatch(/^IMG_2041\.jpg and 1 more\s+Sent, then sharing stopped · 3\.0 kB · to Chrome \d+ on Linux \(self-reported\) · /);
    // Nothing of a sent share opens: it holds names and sizes, not the files.
    expect(await entries(sender, 'sent').getByRole('link').count()).toBe(0);

    await got.getByRole('button', { name: 'Delete IMG_2041.jpg and 1 more' }).click();
    await expect.poll(() => receiver.getByTestId('stored-transfers').count()).toBe(0);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
