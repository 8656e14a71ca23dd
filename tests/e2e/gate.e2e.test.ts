import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MiB, newPage, pageErrors, randomFixture, saveAll, stateHistory, statusOf, useFerry, waitForState, type Fixture } from './harness.ts';
import { FIRST_READ_BYTES, holdReads, releaseReads } from './held-reads.ts';

const ferry = useFerry();
const PASSWORD = 'paper boats';

/** The sender sets a password and/or "ask me first", then picks `file`; returns its page and the link. */
async function shareGated(file: Fixture, gate: { password?: string; askFirst?: boolean }): Promise<{ sender: Page; link: string }> {
  const { page: sender } = await newPage(ferry.senderBrowser);
  await sender.goto(ferry.origin);
  if (gate.password) await sender.getByTestId('share-password').fill(gate.password);
  if (gate.askFirst) await sender.getByTestId('ask-first').check();
  await sender.locator('input[type=file]').setInputFiles([file.path]);
  const link = sender.getByTestId('share-link');
  await expect.poll(() => link.inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
  return { sender, link: await link.inputValue() };
}

async function openLink(link: string): Promise<Page> {
  const { page } = await newPage(ferry.receiverBrowser);
  await page.goto(link);
  return page;
}

/** Types `password` and sends it; resolves with what the page says once the sender has answered. */
async function tryPassword(receiver: Page, password: string, submit: 'click' | 'enter' = 'click'): Promise<string | null> {
  await receiver.getByTestId('password-input').fill(password);
  if (submit === 'enter') await receiver.getByTestId('password-input').press('Enter');
  else await receiver.getByTestId('password-submit').click();
  // The button is disabled from the moment a password goes until the sender answers,
  // and stays so, with the field, while the answer is a lockout. (Gone altogether once
  // the sender lets the receiver through.)
  const answered = () =>
    receiver.evaluate(() => {
      const [input, button] = ['password-input', 'password-submit'].map((id) => document.querySelector<HTMLInputElement>(`[data-testid=${id}]`));
      return !button || !button.disabled || !!input?.disabled;
    });
  await expect.poll(answered, { timeout: 20_000 }).toBe(true);
  const problem = receiver.getByTestId('password-problem');
  return (await problem.count()) > 0 ? problem.innerText() : null;
}

async function downloadIntact(receiver: Page, file: Fixture): Promise<void> {
  await waitForState(receiver, 'waiting', 20_000);
  await receiver.getByTestId('download').click();
  await waitForState(receiver, 'done', 60_000);
  expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
}

/** Whether the page shows anything of the file: its name, or the Download button. */
async function showsFiles(receiver: Page, file: Fixture): Promise<boolean> {
  const name = file.path.split('/').at(-1)!;
  return (await receiver.content()).includes(name) || (await receiver.getByTestId('download').count()) > 0;
}

describe('a share with a password', () => {
  it('shows nothing about the files until the right password, after telling a wrong one how many tries are left', async () => {
    const file = await randomFixture(ferry.dir, 'plans-for-the-password.bin', 64 * 1024);
    const { sender, link } = await shareGated(file, { password: PASSWORD });
    const receiver = await openLink(link);
    await waitForState(receiver, 'password', 20_000);
    expect(await tryPassword(receiver, 'paper boat')).toBe('Wrong password. 4 tries left.');
    expect(await statusOf(receiver).getAttribute('data-state')).toBe('password');
    expect(await showsFiles(receiver, file)).toBe(false);
    expect(await tryPassword(receiver, PASSWORD, 'enter')).toBeNull();
    await downloadIntact(receiver, file);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('locks a receiver out after five wrong tries, with the form disabled and a countdown, then gives the field back by itself', async () => {
    const file = await randomFixture(ferry.dir, 'plans-for-the-lockout.bin', 4 * 1024);
    const { sender, link } = await shareGated(file, { password: PASSWORD });
    const receiver = await openLink(link);
    await waitForState(receiver, 'password', 20_000);
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push(await tryPassword(receiver, `guess ${i}`));
    const lockout = /^Too many wrong passwords\. Try again in ([01]):(\d\d)\.$/;
    expect(answers.slice(0, 4)).toEqual([
      'Wrong password. 4 tries left.',
      'Wrong password. 3 tries left.',
      'Wrong password. 2 tries left.',
      'Wrong password. 1 try left.',
    ]);
    expect(answers[4]).toMatch(lockout);
    const input = receiver.getByTestId('password-input');
    const submit = receiver.getByTestId('password-submit');
    expect([await input.isDisabled(), await submit.isDisabled()]).toEqual([true, true]);

    // The countdown goes down by itself, second by second.
    const left = async () => {
      const [, minutes, seconds] = lockout.exec(await receiver.getByTestId('password-problem').innerText()) ?? [];
      return Number(minutes) * 60 + Number(seconds);
    };
    const first = await left();
    expect(first).toBeGreaterThan(50);
    await expect.poll(left, { timeout: 5_000 }).toBeLessThan(first);
    expect(await statusOf(receiver).getAttribute('data-state')).toBe('password');
    expect(await showsFiles(receiver, file)).toBe(false);

    // Once it runs out, the field is back with nothing more to say, and the right password opens the share.
    await expect.poll(() => input.isEnabled(), { timeout: 75_000 }).toBe(true);
    expect(await receiver.getByTestId('password-problem').count()).toBe(0);
    expect(await tryPassword(receiver, PASSWORD)).toBeNull();
    await waitForState(receiver, 'waiting', 20_000);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('is not asked again of a receiver that reloads mid-download, which proves the key kept with its transfer, but is of another browser', async () => {
    // Larger than the sender's first read, which is all it may read until the test lets it.
    const file = await randomFixture(ferry.dir, 'plans-for-the-reload.bin', FIRST_READ_BYTES + MiB);
    const { sender, link } = await shareGated(file, { password: PASSWORD });
    await sender.evaluate(holdReads, 1);
    const receiver = await openLink(link);
    await waitForState(receiver, 'password', 20_000);
    expect(await tryPassword(receiver, PASSWORD)).toBeNull();
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'transferring', 20_000);

    await receiver.reload();
    await waitForState(receiver, 'transferring', 30_000);
    await sender.evaluate(releaseReads);
    await waitForState(receiver, 'done', 60_000);
    expect(await stateHistory(receiver)).not.toContain('password');
    expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    // The sender knew it again: one row, for both of its connections.
    const rows = sender.getByTestId('receiver-row');
    await expect.poll(() => rows.first().getByTestId('transfer-status').getAttribute('data-state')).toBe('done');
    expect(await rows.count()).toBe(1);

    const other = await openLink(link);
    await waitForState(other, 'password', 20_000);
    expect(await showsFiles(other, file)).toBe(false);
    await Promise.all([sender.close(), receiver.close(), other.close()]);
  });
});

describe('a share that asks first', () => {
  it('shows each receiver’s device with Allow and Decline: an allowed one downloads, a declined one is told so', async () => {
    const file = await randomFixture(ferry.dir, 'plans-for-approval.bin', 64 * 1024);
    const { sender, link } = await shareGated(file, { askFirst: true });
    const rows = sender.getByTestId('receiver-row');

    const first = await openLink(link);
    await waitForState(first, 'approval', 20_000);
    // Said once: the status names the wait, the message says who decides.
    await expect(statusOf(first).innerText()).resolves.toMatch(/^\s*Waiting for approval\s*$/);
    await expect(first.getByTestId('approval-waiting').innerText()).resolves.toBe(
      'The sender decides whether you may download these files. They appear here once allowed.',
    );
    expect(await showsFiles(first, file)).toBe(false);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    // Headless Chromium on Linux, in its own words.
    await expect(rows.first().getByTestId('receiver-device').innerText()).resolves.toMatch(/^Chrome \d+ on Linux \(self-reported\)$/);
    await rows.first().getByTestId('approve').click();
    await downloadIntact(first, file);
    expect(await rows.first().getByTestId('approve').count()).toBe(0);

    const second = await openLink(link);
    await waitForState(second, 'approval', 20_000);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    // The same browser again: told apart from the first.
    await expect(rows.nth(1).getByTestId('receiver-device').innerText()).resolves.toMatch(/^Chrome \d+ on Linux \(2\) \(self-reported\)$/);
    await rows.nth(1).getByTestId('decline').click();
    await waitForState(second, 'ended', 20_000);
    await expect(statusOf(second).innerText()).resolves.toMatch(/^\s*The sender declined this download\s*$/);
    expect(await second.getByTestId('link-ended').getAttribute('data-reason')).toBe('declined');
    expect(await showsFiles(second, file)).toBe(false);
    // Told, not dropped: no reconnecting, and no Try again to knock once more — but what can be done instead.
    expect(await stateHistory(second)).toEqual(['approval', 'ended']);
    expect(await second.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await expect(second.getByTestId('link-ended').innerText()).resolves.toMatch(/^Ask the sender for a new link\.\s+Go to Ferry’s home page$/);
    await expect.poll(() => rows.nth(1).getByTestId('transfer-status').getAttribute('data-state')).toBe('ended');
    await second.getByTestId('link-ended').getByRole('link', { name: 'Go to Ferry’s home page' }).click();
    await expect.poll(() => second.locator('h1').innerText()).toBe('Send files');
    await Promise.all([sender.close(), first.close(), second.close()]);
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
