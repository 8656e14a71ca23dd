/**
 * Resume scenarios shared by the secure (OPFS) and plain-http (IndexedDB) suites: a
 * 200 MiB file, interrupted at about half way, must finish intact while the sender
 * puts at most SLACK more than the file on the wire.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { COMMIT_BYTES } from '../../app/src/transfer/batched-store.ts';
import { MESSAGE_CAP } from '../../app/src/transfer/peer-link.ts';
import { DEFAULT_WINDOW } from '../../app/src/transfer/receiver.ts';
import { BLOCK_SIZE } from '../../app/src/transfer/block-tree.ts';
import { MAX_LANES } from '../../app/src/transfer/lanes.ts';
import { beforeAll, expect } from 'vitest';
import {
  bytesReceived,
  MiB,
  payloadSent,
  randomFixture,
  saveAll,
  startTransfer,
  waitForState,
  type Bench,
  type Fixture,
  type Started,
} from './harness.ts';
import { releaseReads } from './held-reads.ts';

/**
 * What resuming may cost: the window asked for, and a block more on each lane (each
 * lane's share of the window is asked for in whole blocks, and may run a block over:
 * ask-window.ts), plus what arrived and was not yet committed — the batch gathering and
 * the batch being written, each up to a commit's size plus one message. About 7.5 MiB.
 */
export const SLACK = DEFAULT_WINDOW + MAX_LANES * BLOCK_SIZE + 2 * (COMMIT_BYTES + MESSAGE_CAP);

/** The 200 MiB file of a suite, written once before its tests. */
export function useLargeFile(bench: Bench): { current: Fixture } {
  const file = {} as { current: Fixture };
  beforeAll(async () => {
    file.current = await randomFixture(bench.dir, 'resume.bin', 200 * MiB);
  });
  return file;
}

/**
 * Starts the transfer and returns once the receiver holds about half of it, with the
 * sender's reads held there until the test releases them (held-reads.ts).
 */
export function halfway(bench: Bench, file: Fixture): Promise<Started> {
  return startTransfer(bench, [file.path], { holdAt: file.size / 2 });
}

export async function expectIntactAndFrugal(sender: Page, receiver: Page, file: Fixture): Promise<void> {
  await waitForState(receiver, 'done', 200_000);
  const [saved] = await saveAll(receiver);
  expect(saved!.sha256).toBe(file.sha256);
  await waitForState(sender, 'done', 10_000);
  const sent = await payloadSent(sender);
  // The figure the speed work watches (a larger window may cost more here): printed, and bounded.
  console.log(`resume overhead: ${((sent - file.size) / 2 ** 20).toFixed(2)} MiB sent beyond the ${(file.size / 2 ** 20).toFixed(0)} MiB file (bound ${(SLACK / 2 ** 20).toFixed(2)} MiB)`);
  expect(sent).toBeGreaterThanOrEqual(file.size);
  expect(sent).toBeLessThanOrEqual(file.size + SLACK);
}

export async function resumesAfterReceiverReload(bench: Bench, file: Fixture): Promise<void> {
  const { sender, receiver } = await halfway(bench, file);
  const before = await bytesReceived(receiver);
  await receiver.reload();
  // Resumes by itself: no second click on Download. The hint shows only while the
  // transfer runs, so it stays held until the hint is seen.
  await expect.poll(() => receiver.getByTestId('resumed').textContent(), { timeout: 30_000 }).toMatch(/Resumed at [4-5]\d%/);
  expect(await bytesReceived(receiver)).toBeGreaterThan(before - SLACK);
  await sender.evaluate(releaseReads);
  await expectIntactAndFrugal(sender, receiver, file);
  await Promise.all([sender.close(), receiver.close()]);
}

/**
 * The receiver's storage fills up mid-transfer (a quota override through the
 * DevTools protocol, which binds IndexedDB writes): a clear error, what arrived is
 * kept, and once there is room again Try again carries on from there.
 */
export async function runsOutOfStorage(bench: Bench, file: Fixture): Promise<void> {
  let cdp!: CDPSession;
  const prepare = async (page: Page, context: BrowserContext) => {
    cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: bench.origin, quotaSize: 60 * MiB });
  };
  const { sender, receiver } = await startTransfer(bench, [file.path], { prepare });
  await waitForState(receiver, 'error', 120_000);
  await expect(receiver.getByTestId('transfer-status').innerText()).resolves.toMatch(/no room left/);
  expect(await bytesReceived(receiver)).toBeGreaterThan(30 * MiB);

  await cdp.send('Storage.overrideQuotaForOrigin', { origin: bench.origin });
  await receiver.getByRole('button', { name: 'Try again' }).click();
  await waitForState(receiver, 'done', 200_000);
  const [saved] = await saveAll(receiver);
  expect(saved!.sha256).toBe(file.sha256);
  await Promise.all([sender.close(), receiver.close()]);
}
