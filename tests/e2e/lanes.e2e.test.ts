/**
 * Lanes (transfer/lanes.ts): a receiver with much to fetch opens further connections
 * to the sender inside its session, its blocks come over all of them, and the file it
 * saves is the sender's, byte for byte. Between two Chromium instances, and between
 * the terminal (node-datachannel) and Chromium both ways.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/exit-codes.ts';
import { MAX_LANES } from '../../app/src/transfer/lanes.ts';
import { MiB, newPage, pageErrors, payloadSent, randomFixture, saveAll, sha256File, share, statusOf, useFerry, waitForState } from './harness.ts';
import { FIRST_READ_BYTES, holdReads, releaseReads } from './held-reads.ts';
import { Terminal } from './terminal.ts';

const ferry = useFerry();
const terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.stop('SIGKILL')));
});

function ferryCommand(...argv: string[]): Terminal {
  const terminal = new Terminal(argv);
  terminals.push(terminal);
  return terminal;
}

/** How many connections the receiving page's blocks come over, as it shows them. */
async function lanesOf(page: Page): Promise<number> {
  return Number(await statusOf(page).getAttribute('data-lanes'));
}

/** Resolves once the receiving page shows its blocks coming over `lanes` connections. */
async function untilLanes(page: Page, lanes: number): Promise<void> {
  await page.waitForFunction((lanes) => document.querySelector('[data-testid=transfer-status]')?.getAttribute('data-lanes') === String(lanes), lanes, {
    timeout: 30_000,
  });
}

describe('lanes', () => {
  it('open beside the first connection, carry the file, and every byte arrives verified', async () => {
    const file = await randomFixture(ferry.dir, 'twelve.bin', 12 * MiB);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    // Nothing past the first reads goes until every lane is open: each lane has asked for its share by then.
    await sender.evaluate(holdReads, FIRST_READ_BYTES);
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await untilLanes(receiver, MAX_LANES);
    // Four connections from the receiving page to the sending one: the first, through the broker, and three lanes inside it.
    expect(await receiver.evaluate(() => window.__peerConnections.filter((pc) => pc.connectionState === 'connected').length)).toBe(1);
    expect(await receiver.evaluate(() => window.__lanes.filter((pc) => pc.connectionState === 'connected').length)).toBe(MAX_LANES - 1);
    await sender.evaluate(releaseReads);
    await waitForState(receiver, 'done', 60_000);
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    expect(await lanesOf(receiver)).toBe(MAX_LANES);
    expect(await payloadSent(sender)).toBe(file.size);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('open between a browser that shares and a terminal that receives', async () => {
    const file = await randomFixture(ferry.dir, 'to-terminal.bin', 12 * MiB);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    const folder = path.join(ferry.dir, 'lanes-terminal');
    await mkdir(folder);
    await sender.evaluate(holdReads, FIRST_READ_BYTES);
    const receiver = ferryCommand('receive', link, '--out', folder);
    // The sending page answers three lanes, each a connection of its own, before more than its first reads go.
    await sender.waitForFunction((lanes) => window.__lanes.filter((pc) => pc.connectionState === 'connected').length === lanes, MAX_LANES - 1, { timeout: 30_000 });
    await sender.evaluate(releaseReads);
    expect(await receiver.exited).toBe(EXIT.ok);
    expect(await sha256File(path.join(folder, 'to-terminal.bin'))).toBe(file.sha256);
    await sender.close();
  });

  it('open between a terminal that shares and a browser that receives', async () => {
    const file = await randomFixture(ferry.dir, 'from-terminal.bin', 12 * MiB);
    const sender = ferryCommand('send', file.path, '--server', ferry.origin);
    const link = await sender.link();
    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    // Lanes are offered once the files are listed: all open before Download is pressed.
    await untilLanes(receiver, MAX_LANES);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 60_000);
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    expect(await lanesOf(receiver)).toBe(MAX_LANES);
    await receiver.close();
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
