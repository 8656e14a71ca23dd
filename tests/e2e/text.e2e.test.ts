/**
 * A text shared beside the files, or alone, between real browsers and the terminal
 * client: shown on the receiving phone as soon as the link is proved (before any
 * Download), copied exactly, kept through a reload with the sender gone, printed by
 * `ferry receive`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/exit-codes.ts';
import { newPage, pageErrors, phone, randomFixture, saveAll, useFerry, waitForState } from './harness.ts';
import { Terminal } from './terminal.ts';

const ferry = useFerry();
const running: Terminal[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((terminal) => terminal.stop('SIGKILL')));
});

function run(argv: string[], input?: string): Terminal {
  const terminal = new Terminal(argv, { input });
  running.push(terminal);
  return terminal;
}

/** Non-ASCII, several lines (one blank, one indented), a tab, an address: what people paste. */
const NOTE = 'Wi-Fi «Дача»: пароль k7 Ü ✓\n\n\tмаршрут: https://example.org/map?x=1&y=2\nsee you 👋';

/** A phone allowed to use the clipboard, as a person who taps Copy is. */
async function clipboardPhone(): Promise<Page> {
  const { context, page } = await newPage(ferry.receiverBrowser, phone());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ferry.origin });
  return page;
}

/** The share link once the sending page has one. */
async function linkOf(sender: Page): Promise<string> {
  const field = sender.getByTestId('share-link');
  await expect.poll(() => field.inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
  return field.inputValue();
}

/** The text the page shows, exactly as it is in the page (whitespace included). */
function shownText(page: Page): Promise<string | null> {
  return page.getByTestId('shared-text-body').textContent();
}

describe('a text in a share', () => {
  it('sent with one small file shows on the phone before Download, links its address, and Copy copies it exactly', async () => {
    const file = await randomFixture(ferry.dir, 'ticket.pdf', 1000);
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    await sender.getByTestId('text-input').fill(NOTE);
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    const link = await linkOf(sender);
    // The sender's page shows what it offers.
    expect(await shownText(sender)).toBe(NOTE);

    const receiver = await clipboardPhone();
    await receiver.goto(link);
    await waitForState(receiver, 'waiting', 20_000);
    // Shown before any byte of the file: the receiver holds at Download.
    expect(await receiver.getByTestId('transfer-status').getAttribute('data-bytes')).toBe('0');
    await expect.poll(() => receiver.getByTestId('download').isVisible()).toBe(true);
    expect(await shownText(receiver)).toBe(NOTE);
    const address = receiver.getByTestId('shared-text-body').getByRole('link');
    expect(await address.count()).toBe(1);
    expect(await address.evaluate((a: HTMLAnchorElement) => [a.textContent, a.href, a.target, a.rel])).toEqual([
      'https://example.org/map?x=1&y=2',
      'https://example.org/map?x=1&y=2',
      '_blank',
      'noopener noreferrer',
    ]);

    await receiver.getByTestId('copy-text').click();
    await expect.poll(() => receiver.getByTestId('copy-text').textContent()).toBe('Copied');
    expect(await receiver.evaluate(() => navigator.clipboard.readText())).toBe(NOTE);

    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done', 30_000);
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);

    // With the sender gone, the link opened again shows the text from this device's storage.
    await sender.close();
    await receiver.reload();
    await waitForState(receiver, 'done', 20_000);
    expect(await shownText(receiver)).toBe(NOTE);

    // The home page's history shows the text's first line, and copies all of it.
    await receiver.evaluate(() => navigator.clipboard.writeText(''));
    await receiver.goto(ferry.origin);
    const entry = receiver.getByTestId('history-entry');
    expect(await entry.getByTestId('history-text').textContent()).toBe('Wi-Fi «Дача»: пароль k7 Ü ✓');
    await entry.getByTestId('history-copy-text').click();
    await expect.poll(() => receiver.evaluate(() => navigator.clipboard.readText())).toBe(NOTE);
    // The button says it worked: nothing else on the page changes.
    expect(await entry.getByTestId('history-copy-text').getAttribute('data-copied')).toBe('copied');
  });

  it('a terminal sends only a text (ferry send --text): the phone shows it, with no Download, and is done', async () => {
    const sender = run(['send', '--text', NOTE, '--server', ferry.origin]);
    const link = await sender.link();
    expect(sender.output).toContain('Sharing a text.');
    const receiver = await clipboardPhone();
    await receiver.goto(link);
    await waitForState(receiver, 'done', 20_000);
    expect(await shownText(receiver)).toBe(NOTE);
    expect(await receiver.getByTestId('download').count()).toBe(0);
    await receiver.getByTestId('copy-text').click();
    await expect.poll(() => receiver.getByTestId('copy-text').textContent()).toBe('Copied');
    expect(await receiver.evaluate(() => navigator.clipboard.readText())).toBe(NOTE);
    await sender.until(/Receiver 1 .*has the text\./);
  });

  it('a browser shares only a text ("Share text"), keeps it through a reload, and ferry receive prints it, set off, writing nothing', async () => {
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    // Over 64 KiB of UTF-8 (though fewer characters): said at once, and nothing starts.
    const file = await randomFixture(ferry.dir, 'with-long-text.bin', 10);
    await sender.getByTestId('text-input').fill('ж'.repeat(32 * 1024 + 1));
    await sender.getByTestId('text-too-long').waitFor();
    expect(await sender.getByTestId('send-text').isDisabled()).toBe(true);
    // Picked files do not start a share with it (which would refuse it, uncaught).
    await sender.locator('input[type=file]').setInputFiles([file.path]);

    await sender.getByTestId('text-input').fill(NOTE);
    expect(await sender.getByTestId('text-too-long').count()).toBe(0);
    await sender.getByTestId('send-text').click();
    const link = await linkOf(sender);
    expect(await shownText(sender)).toBe(NOTE);
    // A text alone needs nothing added again after a reload: the same link goes on at once.
    await sender.reload();
    await expect.poll(() => sender.getByTestId('share').getAttribute('data-broker'), { timeout: 15_000 }).toBe('online');
    expect(await linkOf(sender)).toBe(link);
    expect(await shownText(sender)).toBe(NOTE);

    const folder = path.join(ferry.dir, 'text-only');
    await mkdir(folder);
    const receiver = run(['receive', link, '--out', folder]);
    expect(await receiver.exited).toBe(EXIT.ok);
    expect(receiver.output).toMatch(new RegExp(`Text from the sender:\\n─+\\n${escaped(NOTE)}\\n─+\\n`));
    expect(receiver.output).toContain('Received the text.');
    expect(await readdir(folder)).toEqual([]);
    await waitForState(sender, 'done', 10_000);
    expect(pageErrors).toEqual([]);
  });

  it('a terminal reads the text from standard input (--text -) and sends it with a file; another terminal prints it before the file', async () => {
    const file = await randomFixture(ferry.dir, 'notes.bin', 5000);
    const sender = run(['send', file.path, '--text', '-', '--server', ferry.origin], `${NOTE}\n`);
    const link = await sender.link();
    const folder = path.join(ferry.dir, 'with-file');
    await mkdir(folder);
    const receiver = run(['receive', link, '--out', folder]);
    expect(await receiver.exited).toBe(EXIT.ok);
    const printed = receiver.output.indexOf(NOTE);
    expect(printed).toBeGreaterThan(-1);
    expect(receiver.output.indexOf('✓ ')).toBeGreaterThan(printed);
    expect(await readdir(folder)).toEqual(['notes.bin']);
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
