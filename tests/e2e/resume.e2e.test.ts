import type { CDPSession, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bytesReceived,
  launchIsolatedBrowser,
  payloadSent,
  MiB,
  pageErrors,
  randomFixture,
  saveAll,
  sleep,
  stateHistory,
  waitForState,
  type Fixture,
  startTransfer,
  untilReceived,
  useFerry,
  type Started,
} from './harness.ts';

const ferry = useFerry();
let file: Fixture;
beforeAll(async () => {
  file = await randomFixture(ferry.dir, 'resume.bin', 200 * MiB);
});
/** What resuming may cost: the window in flight plus what was not yet committed. */
const SLACK = 4 * MiB;

/** Starts a 200 MiB transfer and returns once the receiver holds about half of it. */
async function halfway(): Promise<Started> {
  const started = await startTransfer(ferry, [file.path]);
  await untilReceived(started.receiver, 100 * MiB);
  return started;
}

async function expectIntactAndFrugal(sender: Page, receiver: Page) {
  await waitForState(receiver, 'done', 200_000);
  const [saved] = await saveAll(receiver);
  expect(saved!.sha256).toBe(file.sha256);
  await waitForState(sender, 'done', 10_000);
  const sent = await payloadSent(sender);
  expect(sent).toBeGreaterThanOrEqual(file.size);
  expect(sent).toBeLessThanOrEqual(file.size + SLACK);
}

describe('a 200 MiB transfer that is interrupted at about 50%', () => {
  it('completes on its own after the RTCPeerConnection is closed', async () => {
    const { sender, receiver } = await halfway();
    await receiver.evaluate(() => window.__peerConnections.forEach((pc) => pc.close()));
    await expectIntactAndFrugal(sender, receiver);
    // Reconnecting, then straight back to transferring (checking the whole file at the end).
    const states = (await stateHistory(receiver)).filter((state) => state !== 'verifying');
    expect(states.slice(states.indexOf('reconnecting'))).toEqual(['reconnecting', 'transferring', 'done']);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('completes on its own after the network path is cut for 5 s', async () => {
    const isolated = await launchIsolatedBrowser(ferry.dir);
    try {
      const started = await startTransfer({ ...ferry, receiverBrowser: isolated.browser }, [file.path]);
      await untilReceived(started.receiver, 100 * MiB);
      await isolated.link(false);
      // The cut is real: nothing arrives while the link is down.
      await sleep(1000);
      const during = await bytesReceived(started.receiver);
      await sleep(4000);
      expect(await bytesReceived(started.receiver)).toBe(during);
      await isolated.link(true);
      await expectIntactAndFrugal(started.sender, started.receiver);
      await started.sender.close();
    } finally {
      await isolated.browser.close();
    }
  });

  it('resumes after the receiver’s page reloads', async () => {
    const { sender, receiver } = await halfway();
    const before = await bytesReceived(receiver);
    await receiver.reload();
    // Resumes by itself: no second click on Download.
    await expect.poll(() => receiver.getByTestId('resumed').textContent(), { timeout: 30_000 }).toMatch(/Resumed at [4-9]\d%/);
    expect(await bytesReceived(receiver)).toBeGreaterThan(before - SLACK);
    await expectIntactAndFrugal(sender, receiver);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('resumes after the sender’s page reloads and the files are added again', async () => {
    const { sender, receiver } = await halfway();
    await sender.reload();
    await sender.getByRole('heading', { name: 'Your share is still open' }).waitFor();
    await waitForState(receiver, 'reconnecting', 30_000);
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    await expectIntactAndFrugal(sender, receiver);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

describe('the list of transfers kept on this device', () => {
  it('shows an unfinished transfer, resumes it, and forgets it once saved', async () => {
    const { sender, receiver } = await halfway();
    await receiver.goto(`${ferry.origin}/#/`);
    const entry = receiver.getByTestId('stored-transfers').locator('li');
    await expect.poll(() => entry.innerText()).toMatch(/resume\.bin[\s\S]*\d+% of 210 MB/);
    await entry.getByRole('link', { name: 'Resume' }).click();
    await expectIntactAndFrugal(sender, receiver);
    await receiver.goto(`${ferry.origin}/#/`);
    // Saved, so its stored copy is gone from the list.
    await expect.poll(() => receiver.getByTestId('stored-transfers').count()).toBe(0);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

describe('a receiver that runs out of storage', () => {
  it('stops with a clear error, keeps what it has, and carries on once there is room', async () => {
    let cdp!: CDPSession;
    const { sender, receiver } = await startTransfer(ferry, [file.path], async (page, context) => {
      cdp = await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: ferry.origin, quotaSize: 60 * MiB });
    });
    await waitForState(receiver, 'error', 120_000);
    await expect(receiver.getByTestId('transfer-status').innerText()).resolves.toMatch(/no room left/);
    const kept = await bytesReceived(receiver);
    expect(kept).toBeGreaterThan(30 * MiB);

    await cdp.send('Storage.overrideQuotaForOrigin', { origin: ferry.origin });
    await receiver.getByRole('button', { name: 'Try again' }).click();
    await waitForState(receiver, 'done', 200_000);
    const [saved] = await saveAll(receiver);
    expect(saved!.sha256).toBe(file.sha256);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
