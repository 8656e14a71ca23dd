/**
 * Every block is checked before it is stored (transfer/block-tree.ts): between two
 * Chromium instances, a block damaged on its way is fetched again by itself, and one
 * damaged every time ends the transfer with words, keeping what matched. Both pages
 * show each file's fingerprint, the root `npx ferry hash FILE` prints.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { treeOfFile } from '../../app/cli/file-root.ts';
import { rootHex, shortFingerprint } from '../../app/src/format/fingerprint.ts';
import { BLOCK_SIZE } from '../../app/src/transfer/block-tree.ts';
import { newPage, pageErrors, payloadSent, randomFixture, saveAll, share, statusOf, useFerry, waitForState, type Fixture } from './harness.ts';

const ferry = useFerry();

declare global {
  interface Window {
    /** How many DATA frames damageBlock damaged. */
    __damaged?: number;
  }
}

/**
 * Runs in the sending page: flips one byte in the first DATA frame of block `index`
 * (frames.ts: type 0x10, file u32, offset as two u32) the next `times` times it goes,
 * after the sender has hashed it — damage on the way, as a faulty link or memory would do.
 */
function damageBlock({ index, times, blockSize }: { index: number; times: number; blockSize: number }): void {
  window.__damaged = 0;
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
    const bytes = data as Uint8Array;
    if (ArrayBuffer.isView(bytes) && bytes[0] === 0x10 && window.__damaged! < times) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const offset = view.getUint32(5) * 2 ** 32 + view.getUint32(9);
      if (offset === index * blockSize) {
        bytes[13] = bytes[13]! ^ 0xff;
        window.__damaged! += 1;
      }
    }
    return send.call(this, data);
  };
}

/** A receiver of `link` that presses Download. */
async function download(link: string): Promise<Page> {
  const { page } = await newPage(ferry.receiverBrowser);
  await page.goto(link);
  await waitForState(page, 'waiting', 20_000);
  await page.getByTestId('download').click();
  return page;
}

/** What a page shows as the fingerprint of its only file: the short form and, in full, its root. */
async function fingerprintShown(page: Page): Promise<{ short: string; root: string | null }> {
  const shown = page.getByTestId('file-fingerprint');
  await shown.waitFor({ timeout: 20_000 });
  return { short: await shown.innerText(), root: await shown.getAttribute('data-root') };
}

async function rootOf(file: Fixture): Promise<string> {
  return rootHex((await treeOfFile(file.path)).root);
}

describe('a block damaged on its way', () => {
  it('is fetched again, alone, and the file is saved whole; both pages show the fingerprint ferry hash prints', async () => {
    // Five blocks, the last short: the damaged one is in the middle.
    const file = await randomFixture(ferry.dir, 'five-blocks.bin', 4 * BLOCK_SIZE + 1000);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    await sender.evaluate(damageBlock, { index: 2, times: 1, blockSize: BLOCK_SIZE });
    const receiver = await download(link);
    await waitForState(receiver, 'done', 60_000);
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    expect(await sender.evaluate(() => window.__damaged)).toBe(1);
    const beyond = (await payloadSent(sender)) - file.size;
    console.log(`one damaged block: ${beyond} bytes sent beyond the ${file.size}-byte file (a block is ${BLOCK_SIZE})`);
    expect(beyond).toBe(BLOCK_SIZE);

    const root = await rootOf(file);
    const expected = { short: shortFingerprint(root), root };
    expect(await fingerprintShown(receiver)).toEqual(expected);
    expect(await fingerprintShown(sender)).toEqual(expected);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('every time ends the transfer with words, and keeps the blocks that matched', async () => {
    const file = await randomFixture(ferry.dir, 'always-damaged.bin', 3 * BLOCK_SIZE);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    await sender.evaluate(damageBlock, { index: 1, times: 2, blockSize: BLOCK_SIZE });
    const receiver = await download(link);
    await waitForState(receiver, 'error', 60_000);
    await expect(statusOf(receiver).innerText()).resolves.toMatch(/A part of always-damaged\.bin arrived damaged twice.*The parts that matched are kept/s);
    // Blocks 0 and 2 matched and are kept: two of the three.
    expect(Number(await statusOf(receiver).getAttribute('data-bytes'))).toBe(2 * BLOCK_SIZE);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
