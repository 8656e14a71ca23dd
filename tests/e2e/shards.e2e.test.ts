/**
 * The sharded layout (docs/operating.md, "Many people: shards"): two shards, each a primary and
 * a backup broker process, behind Debian's HAProxy with the configuration docs/operating.md
 * shows. A share's link leads its receivers to its shard; losing a shard's primary
 * costs no transfer and no link; the other shard never notices.
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../app/src/common/broker-ids.ts';
import { parseRoute } from '../../app/src/transfer/link.ts';
import {
  launchBrowser,
  MiB,
  newPage,
  randomFixture,
  saveAll,
  share,
  tempDir,
  untilReceived,
  waitForState,
  type Fixture,
} from './harness.ts';
import { holdReads, PROGRESS_LAG, releaseReads } from './held-reads.ts';
import { ShardedFerry } from './sharded-ferry.ts';

const HOST = process.env.FERRY_TEST_HOST;
const ROUND_ROBIN = fileURLToPath(new URL('./haproxy-roundrobin.cfg', import.meta.url));
/** What "reachable again within a few seconds" means here. */
const FAIL_OVER_MS = 10_000;
const MISROUTED = 'load balancer is set up wrong';

let ferry: ShardedFerry;
let senders: Browser;
let receivers: Browser;
let dir: string;
let removeDir: () => Promise<void>;
let small: Fixture;
let large: Fixture;

beforeAll(async () => {
  if (!HOST) throw new Error('end-to-end tests run inside a private network: use `npm run test:e2e`');
  ({ dir, remove: removeDir } = await tempDir());
  ferry = await ShardedFerry.start(HOST, dir);
  [senders, receivers, small, large] = await Promise.all([
    launchBrowser(ferry.origin),
    launchBrowser(ferry.origin),
    randomFixture(dir, 'small.bin', 64 * 1024),
    randomFixture(dir, 'large.bin', 200 * MiB),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([senders?.close(), receivers?.close()]);
  await ferry?.close();
  await removeDir?.();
});

interface Shared {
  page: Page;
  link: string;
}

/** The shard a link's sender is on. */
function shardOfLink(link: string): string | null {
  const route = parseRoute(new URL(link).hash);
  return route.view === 'receive' ? shardOf(route.address.peerId) : null;
}

/** A share of `file` on `shard`: new shares go to a shard at random, so share until one lands there. */
async function shareOn(shard: string, file: Fixture, origin = ferry.origin): Promise<Shared> {
  for (let attempt = 1; attempt <= 12; attempt++) {
    const { context, page } = await newPage(senders);
    const link = await share(page, origin, [file.path]);
    if (shardOfLink(link) === shard) return { page, link };
    await context.close();
  }
  throw new Error(`12 shares in a row went to other shards than ${shard}`);
}

/** A new receiver of `link` gets `file`, checked by SHA-256. */
async function receive(link: string, file: Fixture, started?: (page: Page) => Promise<void>): Promise<void> {
  const { context, page } = await newPage(receivers);
  await page.goto(link);
  await waitForState(page, 'waiting', 30_000);
  await page.getByTestId('download').click();
  await started?.(page);
  await waitForState(page, 'done', 300_000);
  expect((await saveAll(page)).map((saved) => saved.sha256)).toEqual([file.sha256]);
  await context.close();
}

/** Whether receivers can reach the share of a sender page now. */
function brokerState(page: Page): Promise<string | null> {
  return page.getByTestId('share').getAttribute('data-broker');
}

/** Records every state the sender page's broker line takes from now on (window.__broker). */
async function watchBroker(page: Page): Promise<void> {
  await page.evaluate(() => {
    const element = document.querySelector('[data-testid=share]')!;
    const seen = [element.getAttribute('data-broker')];
    (window as unknown as { __broker: unknown[] }).__broker = seen;
    new MutationObserver(() => seen.push(element.getAttribute('data-broker'))).observe(element, { attributeFilter: ['data-broker'] });
  });
}

function brokerHistory(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __broker: string[] }).__broker);
}

async function serverStat(name: string) {
  const stat = (await ferry.stats()).get(name);
  if (!stat) throw new Error(`HAProxy has no ${name}`);
  return stat;
}

describe('two shards behind HAProxy, each with a backup', () => {
  let shardA: Shared;
  let shardB: Shared;

  it('puts each share on one shard, and a transfer on each completes', async () => {
    shardA = await shareOn('a', small);
    shardB = await shareOn('b', small);
    // Each receiver reaches its sender's shard, and only it.
    for (const [shared, own, other] of [[shardA, 'shard_a/a1', 'shard_b/b1'], [shardB, 'shard_b/b1', 'shard_a/a1']] as const) {
      const [ownBefore, otherBefore] = [(await serverStat(own)).total, (await serverStat(other)).total];
      await receive(shared.link, small);
      expect((await serverStat(own)).total).toBeGreaterThan(ownBefore);
      expect((await serverStat(other)).total).toBe(otherBefore);
    }
    expect((await serverStat('shard_a/a2')).total).toBe(0);
    expect((await serverStat('shard_b/b2')).total).toBe(0);
    expect(ferry.output.get('a1')!.text + ferry.output.get('b1')!.text).not.toMatch(/reached this process of shard/);
  }, 120_000);

  it('loses shard a’s primary mid-transfer: the transfer finishes, the share moves to the backup, shard b never notices', async () => {
    const big = await shareOn('a', large);
    // Held past a quarter until the primary is gone, so it goes mid-transfer however fast the machine.
    await big.page.evaluate(holdReads, 50 * MiB + PROGRESS_LAG);
    await Promise.all([watchBroker(big.page), watchBroker(shardB.page)]);
    const shardBTotal = (await serverStat('shard_b/b1')).total;

    let killedAt = 0;
    let backAfterMs = 0;
    await receive(big.link, large, async (receiver) => {
      await untilReceived(receiver, 50 * MiB);
      killedAt = performance.now();
      await ferry.kill('a1');
      await big.page.evaluate(releaseReads);
      // The sender's page loses the broker and gets it back, through the backup.
      await expect.poll(() => brokerHistory(big.page), { timeout: FAIL_OVER_MS }).toContain('reconnecting');
      await expect.poll(() => brokerState(big.page), { timeout: FAIL_OVER_MS, interval: 50 }).toBe('online');
      backAfterMs = performance.now() - killedAt;
    });
    console.log(`shard a's sender reachable again ${Math.round(backAfterMs)} ms after its primary was killed`);
    expect(backAfterMs).toBeLessThan(FAIL_OVER_MS);
    expect((await serverStat('shard_a/a2')).current).toBeGreaterThanOrEqual(1);

    // New receivers reach shard a's senders through the backup: of the same link (the
    // broker's part is the connection; the bytes that follow never touch it, as the
    // transfer above shows), and of the other share there, whole.
    const backupTotal = (await serverStat('shard_a/a2')).total;
    const { context: again, page: receiver } = await newPage(receivers);
    await receiver.goto(big.link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    await untilReceived(receiver, MiB);
    await again.close();
    await receive(shardA.link, small);
    expect((await serverStat('shard_a/a2')).total).toBeGreaterThanOrEqual(backupTotal + 2);

    // Shard b: not one reconnection, not one session on its backup.
    expect(await brokerHistory(shardB.page)).toEqual(['online']);
    expect((await serverStat('shard_b/b1')).total).toBe(shardBTotal);
    expect((await serverStat('shard_b/b2')).total).toBe(0);
    await big.page.context().close();
  }, 300_000);

  it('takes shard a back to its primary once it restarts: new sessions go there again', async () => {
    await watchBroker(shardA.page);
    await ferry.startProcess('a1');
    await ferry.untilStatus({ a1: 'UP' });
    // The backup's sessions are cut as the primary comes back; the sender reconnects to it.
    await expect.poll(async () => (await serverStat('shard_a/a2')).current, { timeout: FAIL_OVER_MS }).toBe(0);
    await expect.poll(() => brokerHistory(shardA.page), { timeout: FAIL_OVER_MS }).toContain('reconnecting');
    await expect.poll(() => brokerState(shardA.page), { timeout: FAIL_OVER_MS }).toBe('online');
    expect((await serverStat('shard_a/a1')).current).toBeGreaterThanOrEqual(1);

    const primaryTotal = (await serverStat('shard_a/a1')).total;
    const backupTotal = (await serverStat('shard_a/a2')).total;
    const again = await shareOn('a', small);
    await receive(again.link, small);
    await receive(shardA.link, small);
    expect((await serverStat('shard_a/a1')).total).toBeGreaterThanOrEqual(primaryTotal + 2);
    expect((await serverStat('shard_a/a2')).total).toBe(backupTotal);
  }, 120_000);
});

describe('the control: the same layout without routing by shard', () => {
  let control: ShardedFerry;

  beforeAll(async () => {
    control = await ShardedFerry.start(HOST!, dir, ROUND_ROBIN);
  }, 60_000);

  afterAll(async () => {
    await control?.close();
  });

  it('is caught by the brokers: the sender or its receiver is told, and the operator’s log says how to fix it', async () => {
    const browser = await launchBrowser(control.origin);
    try {
      const { page: sender } = await newPage(browser);
      await sender.goto(control.origin);
      await sender.locator('input[type=file]').setInputFiles([small.path]);
      // Round robin alternates between the shards' primaries: the sender's broker
      // connection or the receiver's lands on the wrong one.
      const link = sender.getByTestId('share-link');
      await expect.poll(async () => ((await link.count()) > 0 && (await brokerState(sender)) === 'online') || (await sender.locator('body').innerText()).includes(MISROUTED), { timeout: 20_000 }).toBe(true);
      if (!(await sender.locator('body').innerText()).includes(MISROUTED)) {
        // The sender landed on its own shard: its receiver lands on the other.
        const { page: receiver } = await newPage(browser);
        await receiver.goto(await link.inputValue());
        await expect.poll(() => receiver.locator('body').innerText(), { timeout: 30_000 }).toContain(MISROUTED);
      }
      const logs = ['a1', 'b1'].map((name) => control.output.get(name)!.text).join('');
      expect(logs).toMatch(/reached this process of shard "[ab]": .*the load balancer is not routing \/s\/[ab]\//);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
