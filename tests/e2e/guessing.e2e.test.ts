import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, pageErrors, randomFixture, saveAll, statusOf, useFerry, waitForState } from './harness.ts';

const ferry = useFerry();
const PASSWORD = 'paper boats';
/** The share's wrong tries, spent five at a time by receivers that each get locked out. */
const GUESSERS = 4;
const TRIES = 5;

async function openLink(link: string): Promise<Page> {
  const { page } = await newPage(ferry.receiverBrowser);
  await page.goto(link);
  return page;
}

/** Types `password` and sends it; resolves once the sender has answered (the form is back, or gone). */
async function tryPassword(receiver: Page, password: string): Promise<void> {
  await receiver.getByTestId('password-input').fill(password);
  await receiver.getByTestId('password-submit').click();
  const answered = () =>
    receiver.evaluate(() => {
      const [input, button] = ['password-input', 'password-submit'].map((id) => document.querySelector<HTMLInputElement>(`[data-testid=${id}]`));
      return !button || !button.disabled || !!input?.disabled;
    });
  await expect.poll(answered, { timeout: 20_000 }).toBe(true);
}

describe('a share whose password someone is guessing', () => {
  it('still lets in the person who knows it, at the sender’s click, without typing it again', async () => {
    const file = await randomFixture(ferry.dir, 'guessed-at.bin', 4 * 1024);
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    await sender.getByTestId('share-password').fill(PASSWORD);
    await sender.locator('input[type=file]').setInputFiles([file.path]);
    const linkField = sender.getByTestId('share-link');
    await expect.poll(() => linkField.inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
    const link = await linkField.inputValue();

    // Receivers under new names spend the share's 20 wrong tries.
    const guessers: Page[] = [];
    for (let guesser = 0; guesser < GUESSERS; guesser++) {
      const page = await openLink(link);
      await waitForState(page, 'password', 20_000);
      for (let guess = 0; guess < TRIES; guess++) await tryPassword(page, `guess ${guesser}.${guess}`);
      guessers.push(page);
    }

    const real = await openLink(link);
    await waitForState(real, 'password', 20_000);
    await tryPassword(real, PASSWORD);
    // Held, unread, like any try now: it waits for the sender.
    await waitForState(real, 'approval', 20_000);
    await expect(statusOf(real).innerText()).resolves.toMatch(/^\s*Waiting for approval\s*$/);
    const held = sender.getByTestId('receiver-row').filter({ hasText: 'Typed a password while someone is guessing it: allow to check it' });
    await expect.poll(() => held.count(), { timeout: 10_000 }).toBe(1);
    await held.getByTestId('approve').click();

    await waitForState(real, 'waiting', 20_000);
    await real.getByTestId('download').click();
    await waitForState(real, 'done', 60_000);
    expect((await saveAll(real)).map((saved) => saved.sha256)).toEqual([file.sha256]);
    await Promise.all([sender.close(), real.close(), ...guessers.map((page) => page.close())]);
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
