/**
 * The presence stream behind HAProxy, in the sharded layout as docs/operating.md runs it: it
 * goes to any process; losing that one is no loss of the server; losing every one is.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, tempDir } from './harness.ts';
import { ShardedFerry, type ProcessName } from './sharded-ferry.ts';

const HOST = process.env.FERRY_TEST_HOST;
/** The notice within 5 s; a little more for a busy machine, and HAProxy's own checks (two 500 ms apart) to see a process back. */
const PRESENCE_WAIT_MS = 5000 + 1000 + 2500;

let ferry: ShardedFerry;
let browser: Browser;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  if (!HOST) throw new Error('end-to-end tests run inside a private network: use `npm run test:e2e`');
  let dir: string;
  ({ dir, remove: removeDir } = await tempDir());
  ferry = await ShardedFerry.start(HOST, dir);
  browser = await launchBrowser(ferry.origin);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ferry?.close();
  await removeDir?.();
});

/** Which primary processes of the `pages` backend hold a stream, as HAProxy's stats say now. */
async function streamHolders(): Promise<ProcessName[]> {
  const stats = await ferry.stats();
  return (['a1', 'b1'] as const).filter((name) => (stats.get(`pages/${name}`)?.current ?? 0) > 0);
}

/** The one process that holds the page's stream, once exactly one does. */
async function streamHolder(): Promise<ProcessName> {
  let holders: ProcessName[] = [];
  await expect.poll(async () => (holders = await streamHolders()).length, { timeout: PRESENCE_WAIT_MS }).toBe(1);
  return holders[0]!;
}

/**
 * Resolves once `name` alone holds the stream. HAProxy's stats hear of a killed
 * process's connection closing a little after the page does, so the old holder may
 * still be counted for a moment: waited out, not read as the answer.
 */
async function untilStreamOn(name: ProcessName): Promise<void> {
  await expect.poll(streamHolders, { timeout: PRESENCE_WAIT_MS }).toEqual([name]);
}

describe('the server’s presence behind HAProxy', () => {
  it('a process that dies is no loss of the server; every process dying is, and the first back ends it', async () => {
    const { page } = await newPage(browser);
    await page.goto(ferry.origin);
    await page.getByTestId('share-password').waitFor();
    // Everything the notice does from now on, however briefly.
    await page.evaluate(() => {
      const seen: boolean[] = [];
      (window as unknown as { __offlineSeen: boolean[] }).__offlineSeen = seen;
      new MutationObserver(() => seen.push(document.querySelector('[data-testid=offline]') !== null)).observe(document.body, { childList: true, subtree: true });
    });
    const first = await streamHolder();
    await ferry.kill(first);
    // The page opens its stream again, on the process left.
    await untilStreamOn(first === 'a1' ? 'b1' : 'a1');
    expect(await page.evaluate(() => (window as unknown as { __offlineSeen: boolean[] }).__offlineSeen.includes(true))).toBe(false);

    await Promise.all((['a1', 'a2', 'b1', 'b2'] as const).map((name) => ferry.kill(name)));
    await page.getByTestId('offline').waitFor({ timeout: PRESENCE_WAIT_MS });
    await ferry.startProcess(first);
    await page.getByTestId('offline').waitFor({ state: 'detached', timeout: PRESENCE_WAIT_MS });
    await untilStreamOn(first);
  }, 60_000);
});
