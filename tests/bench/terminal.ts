/**
 * `npm run bench:terminal`: the terminal client's throughput beside the browser's, in
 * one run on the same file: browser → browser, terminal → browser, browser → terminal
 * and terminal → terminal. Each figure is the file's size over the time from the
 * receiver's start (Download pressed, or the command started) to every byte verified,
 * so it includes setting up the connection (about a second) as a person sees it.
 *
 * Runs inside the private network namespace, with the server's STUN responder on as
 * `npm start` has it: use `npm run bench:terminal [-- --size MiB --rounds N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { startServer } from '../../signal-server/server.ts';
import { launchProfileBrowser } from '../e2e/browsers.ts';
import { MiB, randomFixture, sha256File, type Fixture } from '../e2e/fixtures.ts';
import { Terminal } from '../e2e/terminal.ts';

const { values: args } = parseArgs({
  options: { size: { type: 'string', default: '256' }, rounds: { type: 'string', default: '2' } },
});
const SIZE = Number(args.size) * MiB;
const ROUNDS = Number(args.rounds);
const HOST = process.env.FERRY_TEST_HOST;
if (!HOST) throw new Error('run inside the private network: npm run bench:terminal');
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

type Direction = 'browser → browser' | 'terminal → browser' | 'browser → terminal' | 'terminal → terminal';
const DIRECTIONS: Direction[] = ['browser → browser', 'terminal → browser', 'browser → terminal', 'terminal → terminal'];

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const stateOf = (page: Page) => page.getByTestId('transfer-status').first().getAttribute('data-state');

async function shareInBrowser(page: Page, origin: string, file: Fixture): Promise<string> {
  await page.goto(origin);
  await page.locator('input[type=file]').setInputFiles([file.path]);
  const field = page.getByTestId('share-link');
  await until('the page shows a link', async () => /#\/r\//.test(await field.inputValue()), 30_000).catch(async (error) => {
    throw new Error(`${(error as Error).message}; the page says: ${await page.locator('body').innerText()}`);
  });
  return field.inputValue();
}

/** Seconds from Download to done in a browser page. */
async function receiveInBrowser(page: Page, link: string): Promise<number> {
  await page.goto(link);
  await until('the receiver is offered the file', async () => (await stateOf(page)) === 'waiting', 30_000);
  const start = performance.now();
  await page.getByTestId('download').click();
  await until('the receiver has the file', async () => {
    const state = await stateOf(page);
    if (state === 'error') throw new Error('the browser transfer failed');
    return state === 'done';
  });
  return (performance.now() - start) / 1000;
}

/** Seconds from starting `ferry receive` to its successful exit; checks what it wrote. */
async function receiveInTerminal(link: string, file: Fixture): Promise<number> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-out-'));
  try {
    const start = performance.now();
    const terminal = new Terminal(['receive', link, '--out', out]);
    const code = await terminal.exited;
    const seconds = (performance.now() - start) / 1000;
    if (code !== 0) throw new Error(`ferry receive exited ${code}:\n${terminal.output}`);
    if ((await sha256File(path.join(out, path.basename(file.path)))) !== file.sha256) throw new Error('the terminal received other bytes');
    return seconds;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

let profileCount = 0;

/**
 * A browser with a fresh profile on disk, as a person's is (storing to disk, not to an
 * off-the-record context's memory), with nothing left of an earlier round's share.
 */
async function freshBrowser(): Promise<BrowserContext> {
  return launchProfileBrowser(path.join(profiles, `profile-${++profileCount}`), origin);
}

async function round(direction: Direction, file: Fixture): Promise<number> {
  const [fromTerminal, toTerminal] = [direction.startsWith('terminal'), direction.endsWith('terminal')];
  const sender = fromTerminal ? null : await freshBrowser();
  const receiver = toTerminal ? null : await freshBrowser();
  const sending = fromTerminal ? new Terminal(['send', file.path, '--server', origin]) : null;
  try {
    const link = sending ? await sending.link() : await shareInBrowser(await sender!.newPage(), origin, file);
    return toTerminal ? await receiveInTerminal(link, file) : await receiveInBrowser(await receiver!.newPage(), link);
  } finally {
    await sending?.stop('SIGINT');
    await Promise.all([sender?.close(), receiver?.close()]);
  }
}

const profiles = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-terminal-'));
const server = await startServer({ host: HOST, port: 0, iceServers: [], stun: { host: HOST, port: 0 }, staticDir: DIST }, { log: () => {} });
const origin = new URL(server.url).origin;
try {
  const file = await randomFixture(profiles, 'bench.bin', SIZE);
  const seconds = new Map<Direction, number[]>(DIRECTIONS.map((direction) => [direction, []]));
  // Alternating, so a slow moment of this shared machine falls on every direction alike.
  for (let index = 0; index < ROUNDS; index++) {
    for (const direction of DIRECTIONS) {
      const taken = await round(direction, file);
      seconds.get(direction)!.push(taken);
      console.error(`${direction}: ${(SIZE / taken / 1e6).toFixed(1)} MB/s (${taken.toFixed(1)} s)`);
    }
  }
  const best = (direction: Direction) => Math.min(...seconds.get(direction)!);
  const baseline = SIZE / best('browser → browser');
  console.log(`\n| ${args.size} MiB, best of ${ROUNDS} | MB/s | × browser → browser |\n|---|---|---|`);
  for (const direction of DIRECTIONS) {
    const rate = SIZE / best(direction);
    console.log(`| ${direction} | ${(rate / 1e6).toFixed(1)} | ${(rate / baseline).toFixed(2)} |`);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await server.close();
  await rm(profiles, { recursive: true, force: true });
  // The peer server's timers would keep the process alive.
  process.exit();
}
