// Another holder of the link takes the sender's place: while the sender's page is
// closed, it takes the sender's id on the broker and serves the link from a real
// Ferry page, with a key of its own. A receiver resuming against it must refuse,
// say why, store nothing and stop; once the real sender is back, it carries on.
import { mkdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newSenderKeys } from '../../app/src/transfer/auth.ts';
import { parseRoute } from '../../app/src/transfer/link.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import {
  MiB,
  newPage,
  pageErrors,
  payloadSent,
  randomFixture,
  saveAll,
  share,
  sleep,
  stateHistory,
  statusOf,
  waitForState,
  useFerry,
} from './harness.ts';

// A departed sender's id is kept for its own token only this long: the impostor can
// take it once it has passed, as it could after the five minutes Ferry ships with.
const ferry = useFerry({ brokerLimits: { idGraceMs: 2000 } });

const SIZE = 2 * MiB;
/**
 * What the sender's page lets through before it freezes, as a phone's page might:
 * past a MiB, so the receiver has committed some of it (storage/received-bytes.ts).
 */
const HOLD_AFTER = 1.5 * MiB;

declare global {
  interface Window {
    /** Once set, the page's data channels pass at most this much file payload, then nothing at all. */
    __holdAfter?: number;
  }
}

/** Runs in the page: a page that goes quiet mid-transfer without closing anything. */
function freezable(): void {
  const send = RTCDataChannel.prototype.send;
  let passed = 0;
  let frozen = false;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
    const limit = window.__holdAfter;
    if (limit !== undefined) {
      const bytes = data as ArrayBufferView;
      const payload = ArrayBuffer.isView(bytes) && new Uint8Array(bytes.buffer, bytes.byteOffset, 1)[0] === 0x10 ? bytes.byteLength - 13 : 0;
      frozen ||= passed + payload > limit;
      if (frozen) return;
      passed += payload;
    }
    return send.call(this, data);
  };
}

/** What the receiving page keeps in IndexedDB about its files: ranges, verified and pinned hashes. */
function storedRecord(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('ferry-received');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const store = db.transaction('bytes').objectStore('bytes');
    const read = <T>(request: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(request.error))));
    const keys = (await read(store.getAllKeys())).filter((key) => Array.isArray(key) && typeof key[2] === 'string');
    const records = await Promise.all(keys.map(async (key) => `${String((key as unknown[])[2])} ${JSON.stringify(await read(store.get(key)))}`));
    db.close();
    return records.sort();
  });
}

/**
 * Makes `page` (a Ferry page of its own browser context) offer `link` as a share it
 * once made: the link's id and secret, but its own key pair, as another holder of the
 * link could. Ferry restores it on reload and asks for the files again.
 */
async function becomeSenderOf(page: Page, link: string, file: { name: string; size: number; lastModified: number }): Promise<void> {
  const route = parseRoute(new URL(link).hash);
  if (route.view !== 'receive') throw new Error(`not a share link: ${link}`);
  const { peerId, secret } = route.address;
  const record = {
    peerId,
    brokerToken: `impostor${Date.now().toString(36)}`,
    secret,
    ...newSenderKeys(),
    files: [{ ...file, type: 'application/octet-stream' }],
    hashes: [null],
    createdAt: Date.now(),
  };
  await page.goto(ferry.origin);
  await page.evaluate(async (record) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('ferry-shares');
      // Ferry's own first read of the share may not have created it yet.
      open.onupgradeneeded = () => {
        if (!open.result.objectStoreNames.contains('shares')) open.result.createObjectStore('shares');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const transaction = db.transaction('shares', 'readwrite');
    transaction.objectStore('shares').put(record, 'current');
    await new Promise((resolve, reject) => ((transaction.oncomplete = resolve), (transaction.onerror = () => reject(transaction.error))));
    db.close();
  }, record);
  await page.reload();
  await page.getByRole('heading', { name: 'Your share is still open' }).waitFor();
}

describe('a link holder that takes the sender’s place', () => {
  it('is refused by a resuming receiver, which stores nothing from it, stops, and resumes once the sender is back', async () => {
    const original = await randomFixture(ferry.dir, 'shared.bin', SIZE);
    // Same name and size, other bytes, a date of its own (whole seconds, as Files report them).
    await mkdir(path.join(ferry.dir, 'impostor'));
    const fake = await randomFixture(path.join(ferry.dir, 'impostor'), 'shared.bin', SIZE);
    await utimes(fake.path, 1_700_000_000, 1_700_000_000);

    const { context: senderContext, page: sender } = await newPage(ferry.senderBrowser);
    await senderContext.addInitScript(freezable);
    const link = await share(sender, ferry.origin, [original.path]);
    await sender.evaluate((limit) => (window.__holdAfter = limit), HOLD_AFTER);

    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    // Part of the file is on the receiver's disk; the sender's page has gone quiet.
    await expect.poll(() => storedRecord(receiver), { timeout: 60_000 }).toContainEqual(expect.stringMatching(/^ranges /));
    await sender.close();
    await waitForState(receiver, 'reconnecting', 30_000);
    const kept = await storedRecord(receiver);

    const { context: impostorContext, page: impostor } = await newPage(ferry.senderBrowser);
    await becomeSenderOf(impostor, link, { name: 'shared.bin', size: SIZE, lastModified: 1_700_000_000_000 });
    await impostor.locator('input[type=file]').setInputFiles([fake.path]);
    // Its own link: same id and secret, another key.
    await expect.poll(() => impostor.getByTestId('share-link').inputValue(), { timeout: 30_000 }).toMatch(/#\/r\//);
    expect(await impostor.getByTestId('share-link').inputValue()).not.toBe(link);

    // The receiver redials by itself and meets the impostor.
    await waitForState(receiver, 'error', 90_000);
    await expect.poll(() => statusOf(receiver).innerText()).toContain(en.errors.impostor);
    const connections = await receiver.evaluate(() => window.__peerConnections.length);
    await sleep(2000);
    // Stopped there: no redial, no connection since, and nothing stored or verified.
    expect((await stateHistory(receiver)).at(-1)).toBe('error');
    expect(await receiver.evaluate(() => window.__peerConnections.length)).toBe(connections);
    expect(await storedRecord(receiver)).toEqual(kept);
    expect(kept.some((entry) => entry.startsWith('sha256'))).toBe(false);
    expect(await receiver.getByTestId('save').count()).toBe(0);
    expect(await payloadSent(impostor)).toBe(0);
    await impostorContext.close();

    // The real sender comes back once the impostor's hold on its id has lapsed, adds
    // its file again, and the receiver carries on.
    const broker = () => ferry.server.brokerStats();
    await expect.poll(() => broker().reservedIds, { timeout: 30_000 }).toBe(0);
    const online = broker().connectedIds;
    const returned = await senderContext.newPage();
    await returned.goto(ferry.origin);
    await returned.getByRole('heading', { name: 'Your share is still open' }).waitFor();
    await returned.locator('input[type=file]').setInputFiles([original.path]);
    await expect.poll(() => broker().connectedIds, { timeout: 30_000 }).toBe(online + 1);
    expect(await returned.getByTestId('share-link').inputValue()).toBe(link);
    await receiver.getByRole('button', { name: 'Try again' }).click();
    await waitForState(receiver, 'done', 60_000);
    const [saved] = await saveAll(receiver);
    expect(saved!.sha256).toBe(original.sha256);
    await Promise.all([returned.close(), receiver.close()]);
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
