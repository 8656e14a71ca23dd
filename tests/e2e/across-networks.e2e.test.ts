/**
 * Two homes, each behind its own NAT router, and a "public internet" holding Ferry's
 * server and a coturn relay (network-lab.ts). The sender's browser sits in one home,
 * the receiver's in the other, as a laptop at home and a phone on mobile data would.
 * Each case builds the topology anew: NAT mappings live in the routers' conntrack.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../signal-server/config.ts';
import { startServer, type RunningServer } from '../../signal-server/server.ts';
import {
  bytesReceived,
  MiB,
  newPage,
  payloadSent,
  pageErrors,
  randomFixture,
  saveAll,
  share,
  sleep,
  stateHistory,
  statusOf,
  tempDir,
  untilReceived,
  waitForState,
  type Fixture,
} from './harness.ts';
import { holdReads, PROGRESS_LAG, releaseReads } from './held-reads.ts';
import { createLab, type Home, type Lab } from './network-lab.ts';
import { SLACK } from './resume-steps.ts';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const SECRET = 'across-networks-test-secret';
const CUT_FILE_SIZE = 48 * MiB;

/**
 * A relayed transfer once the receiver holds its first MiB, with the sender's reads
 * held there until the test releases them (held-reads.ts).
 */
async function relayedMidway(): Promise<World & { file: Fixture }> {
  const w = await world('symmetric', {}, true);
  const file = await randomFixture(w.dir, 'cut.bin', CUT_FILE_SIZE);
  await download(w, file, MiB + PROGRESS_LAG);
  await untilReceived(w.receiver, MiB, 60_000);
  return { ...w, file };
}

/** The promise: a person hears within 45 s that no path exists. */
const NO_PATH_LIMIT_MS = 45_000;

interface World {
  lab: Lab;
  server: RunningServer;
  origin: string;
  senderHome: Home;
  receiverHome: Home;
  sender: Page;
  receiver: Page;
  dir: string;
}

let cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  // In reverse: browsers, then the server and coturn, then the namespaces they live in.
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  cleanups = [];
});

/**
 * Builds two homes behind `nat` routers and starts Ferry with `env` (as `npm start`
 * reads it) on the public side, plus coturn when `coturn` is set.
 */
async function world(nat: 'cone' | 'symmetric', env: Record<string, string> = {}, coturn = false): Promise<World> {
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  const lab = await createLab();
  cleanups.push(() => lab.close());
  if (coturn) {
    const relay = await lab.startCoturn({ secret: SECRET });
    cleanups.push(() => relay.stop());
    env = { FERRY_TURN_URLS: relay.urls.join(','), FERRY_TURN_SECRET: SECRET, ...env };
  }
  const config = loadConfig([], { FERRY_HOST: lab.publicAddress, FERRY_PORT: '0', FERRY_STATIC_DIR: DIST, ...env });
  const server = await startServer(config, { log: (m) => console.error(m) });
  cleanups.push(() => server.close());
  const origin = server.url.replace(/\/$/, '');
  const [senderHome, receiverHome] = [await lab.home({ nat }), await lab.home({ nat })];
  const [senderBrowser, receiverBrowser] = await Promise.all([
    senderHome.launchBrowser(origin),
    receiverHome.launchBrowser(origin),
  ]);
  cleanups.push(() => Promise.all([senderBrowser.close(), receiverBrowser.close()]));
  const [{ page: sender }, { page: receiver }] = await Promise.all([newPage(senderBrowser), newPage(receiverBrowser)]);
  return { lab, server, origin, senderHome, receiverHome, sender, receiver, dir };
}

/** The sender shares `file`, its reads held after `holdReadsAfter` bytes if given; the receiver opens the link and presses Download. */
async function download(w: World, file: Fixture, holdReadsAfter?: number): Promise<void> {
  const link = await share(w.sender, w.origin, [file.path]);
  if (holdReadsAfter !== undefined) await w.sender.evaluate(holdReads, holdReadsAfter);
  await w.receiver.goto(link);
  await waitForState(w.receiver, 'waiting', 30_000);
  await w.receiver.getByTestId('download').click();
}

async function expectDelivered(w: World, file: Fixture): Promise<void> {
  await waitForState(w.receiver, 'done', 120_000);
  const [saved] = await saveAll(w.receiver);
  expect(saved?.sha256).toBe(file.sha256);
}

/** The path the page shows, once it shows one: [data-path, text]. */
async function pathOn(page: Page): Promise<[string | null, string]> {
  const badge = page.getByTestId('connection-path').first();
  await badge.waitFor({ timeout: 10_000 });
  return [await badge.getAttribute('data-path'), await badge.innerText()];
}

/** Opens a link that cannot connect, and checks the error comes in time and says what helps. */
async function expectNoPath(w: World, file: Fixture, advice: RegExp, { retry = false } = {}): Promise<void> {
  const link = await share(w.sender, w.origin, [file.path]);
  const opened = Date.now();
  await w.receiver.goto(link);
  await waitForState(w.receiver, 'error', NO_PATH_LIMIT_MS);
  expect(Date.now() - opened).toBeLessThan(NO_PATH_LIMIT_MS);
  const status = await statusOf(w.receiver).innerText();
  expect(status).toMatch(/No connection/);
  expect(status).toMatch(/No network path between the two devices/);
  expect(status).toMatch(advice);
  expect(status).not.toMatch(/did not answer|not online/);
  expect(await w.receiver.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
  // The sender hears of the attempt too, though no one proved anything to it.
  await expect.poll(() => w.sender.getByTestId('failed-attempts').getAttribute('data-count'), { timeout: 15_000 }).toBe('1');
  expect(await w.sender.getByTestId('receiver-row').count()).toBe(0);
  if (!retry) return;
  // Try again starts over and ends the same way, again within the limit.
  const retried = Date.now();
  await w.receiver.getByRole('button', { name: 'Try again' }).click();
  await waitForState(w.receiver, 'connecting', 2_000);
  await waitForState(w.receiver, 'error', NO_PATH_LIMIT_MS);
  expect(Date.now() - retried).toBeLessThan(NO_PATH_LIMIT_MS);
}

describe('across networks, each device behind its own NAT', () => {
  it('connects directly through port-preserving NATs with nothing configured (Ferry’s own STUN)', async () => {
    const w = await world('cone');
    expect(w.server.stunPort).toBe(3478);
    const file = await randomFixture(w.dir, 'direct.bin', 256 * 1024);
    await download(w, file);
    await expectDelivered(w, file);
    expect(await pathOn(w.receiver)).toEqual(['direct', 'Direct connection']);
    expect((await pathOn(w.sender))[0]).toBe('direct');
  });

  it('relays through coturn between symmetric NATs, with credentials minted per request', async () => {
    const w = await world('symmetric', {}, true);
    const file = await randomFixture(w.dir, 'relayed.bin', 256 * 1024);
    await download(w, file);
    await expectDelivered(w, file);
    expect(await pathOn(w.receiver)).toEqual(['relay', 'Relayed through 203.0.113.1 — slower, still end-to-end encrypted']);
    expect((await pathOn(w.sender))[0]).toBe('relay');
    // One connection did it all: nothing along the way made the receiver dial again.
    // (PeerJS makes one more at load, to probe for features; it never gets an offer.)
    expect(await w.receiver.evaluate(() => window.__peerConnections.filter((pc) => pc.localDescription).length)).toBe(1);
  });

  it('says within 45 s that there is no path when symmetric NATs meet and no relay is configured', async () => {
    const w = await world('symmetric');
    const file = await randomFixture(w.dir, 'nopath.bin', 1024);
    await expectNoPath(w, file, /no relay \(TURN\)/, { retry: true });
  });

  it('says the same, and does not hang, when the relay refuses a wrong secret', async () => {
    const w = await world('symmetric', { FERRY_TURN_SECRET: 'not-what-coturn-has' }, true);
    const file = await randomFixture(w.dir, 'refused.bin', 1024);
    await expectNoPath(w, file, /relay \(TURN\) refused the connection/);
  });

  it('carries a relayed transfer through 5 s with the receiver’s home link cut', async () => {
    const w = await relayedMidway();
    await w.receiverHome.link(false);
    const read = await w.sender.evaluate(releaseReads);
    // Really interrupted: free to read and send again, the sender gets nothing more
    // across in the 5 s than it had read before the cut.
    await sleep(5_000);
    expect(await bytesReceived(w.receiver)).toBeLessThanOrEqual(read);
    await w.receiverHome.link(true);
    await expectDelivered(w, w.file);
    expect((await pathOn(w.receiver))[0]).toBe('relay');
  });

  it('redials through a new relay allocation and resumes when the receiver’s network changes mid-transfer', async () => {
    const w = await relayedMidway();
    // Wi-Fi to mobile data: offline for a moment, then back with another public address.
    await w.receiverHome.link(false);
    await w.receiverHome.renumber();
    await w.sender.evaluate(releaseReads);
    await sleep(5_000);
    await w.receiverHome.link(true);
    await expectDelivered(w, w.file);
    expect(await stateHistory(w.receiver)).toContain('reconnecting');
    // Resumed, not started over: the sender sent the file once, plus what resuming may cost.
    expect(await payloadSent(w.sender)).toBeLessThanOrEqual(w.file.size + SLACK);
    expect((await pathOn(w.receiver))[0]).toBe('relay');
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
