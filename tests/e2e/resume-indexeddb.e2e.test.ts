/**
 * The same resume guarantees for a page served over plain http (a phone on a LAN
 * without a certificate): no OPFS and no StorageManager there, so received bytes go to
 * IndexedDB and a full disk is only learnt of when a write fails.
 */
import { describe, expect, it } from 'vitest';
import { pageErrors, startTransfer, storagePlace, untilReceived, useFerry, waitForState } from './harness.ts';
import { resumesAfterReceiverReload, runsOutOfStorage, useLargeFile } from './resume-steps.ts';

const ferry = useFerry({ secure: false });
const large = useLargeFile(ferry);

describe('over plain http, received bytes go to IndexedDB', () => {
  it('and a small transfer lands there', async () => {
    const { sender, receiver } = await startTransfer(ferry, [large.current.path]);
    await untilReceived(receiver, 5 * 1024 * 1024);
    expect(await storagePlace(receiver)).toBe('indexeddb');
    // And the page says which app features plain http costs, instead of losing them silently.
    expect(await receiver.getByTestId('app-features-missing').getAttribute('data-reason')).toBe('insecure');
    await waitForState(receiver, 'done', 200_000);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('a transfer resumes after the receiver’s page reloads', () => resumesAfterReceiverReload(ferry, large.current));

  it('running out of storage stops with a clear error and carries on once there is room', () => runsOutOfStorage(ferry, large.current));

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
