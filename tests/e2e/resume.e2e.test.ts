import { describe, expect, it } from 'vitest';
import {
  bytesReceived,
  launchIsolatedBrowser,
  MiB,
  pageErrors,
  sleep,
  stateHistory,
  waitForState,
  startTransfer,
  useFerry,
  storagePlace,
} from './harness.ts';
import { releaseReads } from './held-reads.ts';
import { expectIntactAndFrugal, halfway, resumesAfterReceiverReload, useLargeFile } from './resume-steps.ts';

const ferry = useFerry();
const large = useLargeFile(ferry);

describe('a 200 MiB transfer that is interrupted at about 50%', () => {
  it('completes on its own after the RTCPeerConnection is closed', async () => {
    const { sender, receiver } = await halfway(ferry, large.current);
    expect(await storagePlace(receiver)).toBe('opfs');
    await receiver.evaluate(() => window.__peerConnections.forEach((pc) => pc.close()));
    await sender.evaluate(releaseReads);
    await expectIntactAndFrugal(sender, receiver, large.current);
    // Reconnecting, then straight back to transferring (checking the whole file at the end).
    const states = (await stateHistory(receiver)).filter((state) => state !== 'verifying');
    expect(states.slice(states.indexOf('reconnecting'))).toEqual(['reconnecting', 'transferring', 'done']);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('completes on its own after the network path is cut for 5 s', async () => {
    const isolated = await launchIsolatedBrowser(ferry.dir, ferry.origin);
    try {
      const started = await startTransfer({ ...ferry, receiverBrowser: isolated.browser }, [large.current.path], { holdAt: 100 * MiB });
      await isolated.link(false);
      const read = await started.sender.evaluate(releaseReads);
      // The cut is real: free to read and send again, the sender gets nothing more
      // across in the 5 s than it had read before the cut.
      await sleep(5000);
      expect(await bytesReceived(started.receiver)).toBeLessThanOrEqual(read);
      await isolated.link(true);
      await expectIntactAndFrugal(started.sender, started.receiver, large.current);
      await started.sender.close();
    } finally {
      await isolated.browser.close();
    }
  });

  it('resumes after the receiver’s page reloads', () => resumesAfterReceiverReload(ferry, large.current));

  it('resumes after the sender’s page reloads and the files are added again', async () => {
    const { sender, receiver } = await halfway(ferry, large.current);
    // The reload drops the hold.
    await sender.reload();
    await sender.getByRole('heading', { name: 'Your share is still open' }).waitFor();
    await waitForState(receiver, 'reconnecting', 30_000);
    await sender.locator('input[type=file]').setInputFiles([large.current.path]);
    await expectIntactAndFrugal(sender, receiver, large.current);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

describe('the list of transfers kept on this device', () => {
  it('shows an unfinished transfer, resumes it, and keeps it, saved, until deleted', async () => {
    const { sender, receiver } = await halfway(ferry, large.current);
    await receiver.goto(`${ferry.origin}/#/`);
    const entry = receiver.getByTestId('stored-transfers').locator('li');
    await expect.poll(() => entry.innerText()).toMatch(/resume\.bin[\s\S]*\d+% of 210 MB/);
    await entry.getByRole('link', { name: 'Resume' }).click();
    await sender.evaluate(releaseReads);
    await expectIntactAndFrugal(sender, receiver, large.current);
    await receiver.goto(`${ferry.origin}/#/`);
    // Saved, and still there: the history keeps it until the person deletes it.
    await expect.poll(() => entry.innerText()).toMatch(/resume\.bin[\s\S]*Received and saved · 210 MB/);
    await entry.getByRole('button', { name: /^Delete / }).click();
    await expect.poll(() => receiver.getByTestId('stored-transfers').count()).toBe(0);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

// Running out of storage is tested over plain http (resume-indexeddb.e2e.test.ts):
// Chromium's quota override, the only way to fill storage here, binds IndexedDB but
// neither the StorageManager estimate nor OPFS sync access handle writes.

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
