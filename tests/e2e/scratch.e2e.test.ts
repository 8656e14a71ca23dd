import { expect, it } from 'vitest';
import { MiB, newPage, randomFixture, saveAll, share, useFerry, waitForState } from './harness.ts';
const ferry = useFerry();
it('big chromium to chromium', async () => {
  const file = await randomFixture(ferry.dir, 'big.bin', 100 * MiB);
  const { page: sender } = await newPage(ferry.senderBrowser);
  const link = await share(sender, ferry.origin, [file.path]);
  const { page: receiver } = await newPage(ferry.receiverBrowser);
  receiver.on('console', (m) => console.log('R', m.text()));
  sender.on('console', (m) => console.log('S', m.text()));
  await receiver.goto(link);
  await waitForState(receiver, 'waiting', 20_000);
  await receiver.getByTestId('download').click();
  await waitForState(receiver, 'done', 120_000);
  expect((await saveAll(receiver)).map((saved) => saved.sha256)).toEqual([file.sha256]);
});
