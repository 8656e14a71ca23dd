/**
 * One round of the raw pump (page/contenders.ts) between two pages that have the
 * contenders' script and the `#bench-file` input: the offer and answer carried
 * across by the bench, then the file pumped through one data channel. Shared by
 * `npm run bench` and `npm run bench:rtt`.
 */
import type { Page } from 'playwright-core';
import type { Fixture } from '../e2e/fixtures.ts';
import type {} from './page/build.ts'; // declares the page-global `contenders`
import type { Arrival } from './page/contenders.ts';

export async function rawRound(sender: Page, receiver: Page, file: Fixture): Promise<Arrival> {
  await sender.locator('#bench-file').setInputFiles(file.path);
  const offer = await sender.evaluate(() => contenders.rawOffer());
  const answer = await receiver.evaluate(([offer, size]) => contenders.rawAnswer(offer, size), [offer, file.size] as const);
  await sender.evaluate((answer) => contenders.rawAccept(answer), answer);
  const sending = sender.evaluate(() => contenders.rawSend());
  const arrival = await receiver.evaluate(() => contenders.received());
  await sending;
  return arrival;
}
