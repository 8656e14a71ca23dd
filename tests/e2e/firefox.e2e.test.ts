/**
 * Ferry between Chromium and Firefox ESR, both ways, each with a resume: several
 * files, one with a name in several scripts, and one large enough to interrupt.
 * - Chromium sends, Firefox receives and reloads at about 40%: it resumes by itself
 *   and Firefox's own downloads hold the sender's bytes.
 * - Firefox sends and reloads at about 40%, its person adds the files again: the
 *   Chromium receiver waits, carries on and saves the sender's bytes.
 * Either way the sender puts at most the resume bound more than the files on the wire.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page as FirefoxPage } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firefoxBytes, launchFirefox, waitForFirefoxState } from './firefox.ts';
import {
  instrumentPage,
  MiB,
  newPage,
  pageErrors,
  payloadSent,
  randomFixture,
  saveAll,
  share,
  untilReceived,
  useFerry,
  waitForState,
  type Fixture,
} from './harness.ts';
import { holdReads, PROGRESS_LAG, releaseReads } from './held-reads.ts';
import { SLACK } from './resume-steps.ts';

const ferry = useFerry();
let firefox: Browser;
let downloads: string;
let files: Fixture[];
const names = ['résumé — отчёт 📄.txt', 'notes.md', 'large.bin'];

beforeAll(async () => {
  downloads = path.join(ferry.dir, 'firefox-downloads');
  await mkdir(downloads);
  const text = path.join(ferry.dir, names[0]!);
  await writeFile(text, 'Ferry between two browsers.\n'.repeat(40));
  const notes = path.join(ferry.dir, names[1]!);
  await writeFile(notes, '# Notes\n');
  const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
  const small = await Promise.all([text, notes].map(async (file) => ({ path: file, size: (await readFile(file)).length, sha256: await sha(file) })));
  // Large enough to hold at 40% with room for the page's progress to trail (held-reads.ts), small enough to stay quick.
  files = [...small, await randomFixture(ferry.dir, names[2]!, 64 * MiB)];
  firefox = await launchFirefox(new URL(ferry.origin).hostname, downloads);
});

afterAll(async () => {
  await firefox?.close();
});

const total = () => files.reduce((sum, file) => sum + file.size, 0);

async function firefoxPage(): Promise<FirefoxPage> {
  const page = await firefox.newPage();
  await page.evaluateOnNewDocument(instrumentPage);
  page.on('pageerror', (error) => pageErrors.push(`firefox ${page.url()}: ${(error as Error).message}`));
  return page;
}

/** The files Firefox has finished downloading, by name: their SHA-256. */
async function downloaded(): Promise<Record<string, string>> {
  const done = (await readdir(downloads)).filter((name) => !name.endsWith('.part'));
  const entries = await Promise.all(done.map(async (name) => [name, createHash('sha256').update(await readFile(path.join(downloads, name))).digest('hex')]));
  return Object.fromEntries(entries);
}

describe('Chromium and Firefox ESR', () => {
  it('Chromium sends, Firefox receives, reloads at about 40%, resumes and downloads every file intact', async () => {
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, files.map((file) => file.path));
    await sender.evaluate(holdReads, 0.4 * total() + PROGRESS_LAG);
    const receiver = await firefoxPage();
    await receiver.goto(link);
    await waitForFirefoxState(receiver, 'waiting', 30_000);
    await receiver.click('[data-testid=download]');
    await expect.poll(() => firefoxBytes(receiver), { timeout: 60_000, interval: 100 }).toBeGreaterThan(0.4 * total());
    await receiver.reload();
    // Resumes by itself, from what it had stored; held until the hint, shown only while the transfer runs, is seen.
    await expect
      .poll(() => receiver.$eval('[data-testid=resumed]', (hint) => hint.textContent).catch(() => null), { timeout: 30_000, interval: 100 })
      .toMatch(/Resumed at [3-6]\d%/);
    await sender.evaluate(releaseReads);
    await waitForFirefoxState(receiver, 'done');

    const saves = await receiver.$$('[data-testid=save]');
    expect(saves).toHaveLength(files.length);
    for (const save of saves) await save.click();
    const expected = Object.fromEntries(files.map((file, i) => [names[i], file.sha256]));
    await expect.poll(downloaded, { timeout: 60_000, interval: 250 }).toEqual(expected);

    await waitForState(sender, 'done', 10_000);
    const sent = await payloadSent(sender);
    expect(sent).toBeGreaterThanOrEqual(total());
    expect(sent).toBeLessThanOrEqual(total() + SLACK);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('Firefox sends, reloads at about 40% and adds the files again; Chromium carries on and saves every file intact', async () => {
    const sender = await firefoxPage();
    await sender.goto(ferry.origin);
    const pick = async () => (await sender.waitForSelector('input[type=file]'))!.uploadFile(...files.map((file) => file.path));
    await pick();
    await expect.poll(() => sender.$eval('[data-testid=share-link]', (input) => (input as HTMLInputElement).value).catch(() => ''), { timeout: 15_000 }).toMatch(/#\/r\//);
    const link = await sender.$eval('[data-testid=share-link]', (input) => (input as HTMLInputElement).value);
    // The reload below drops the hold.
    await sender.evaluate(holdReads, 0.4 * total() + PROGRESS_LAG);

    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 30_000);
    await receiver.getByTestId('download').click();
    await untilReceived(receiver, 0.4 * total(), 60_000);
    await sender.reload();
    await sender.waitForSelector('::-p-text(Your share is still open)', { timeout: 30_000 });
    await waitForState(receiver, 'reconnecting', 30_000);
    await pick();
    await waitForState(receiver, 'done');

    const saved = await saveAll(receiver);
    expect(Object.fromEntries(saved.map((file) => [file.name, file.sha256]))).toEqual(Object.fromEntries(files.map((file, i) => [names[i], file.sha256])));
    const sent = await sender.evaluate(() => window.__payloadSent);
    expect(sent).toBeGreaterThanOrEqual(total());
    expect(sent).toBeLessThanOrEqual(total() + SLACK);
    await Promise.all([sender.close(), receiver.close()]);
  });
});

it('raised no uncaught exception in any page', () => {
  expect(pageErrors).toEqual([]);
});
