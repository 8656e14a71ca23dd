/**
 * The receiver's JavaScript heap while it receives a large file (1 GiB by default;
 * FERRY_BENCH_MIB sets the size). Received bytes go to storage as they arrive and the
 * sender never runs more than a window ahead, so the heap should stay flat.
 *
 *   npm run bench:memory
 */
import { expect, it } from 'vitest';
import { bytesReceived, MiB, randomFixture, saveAll, startTransfer, storagePlace, untilReceived, useFerry, waitForState } from '../e2e/harness.ts';

const ferry = useFerry();
const size = Number(process.env.FERRY_BENCH_MIB ?? 1024) * MiB;

it(`receiver heap while receiving ${size / MiB} MiB`, async () => {
  const file = await randomFixture(ferry.dir, 'memory.bin', size);
  const started = await startTransfer(ferry, [file.path]);
  const cdp = await started.receiverContext.newCDPSession(started.receiver);
  const heap = async () => ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  await untilReceived(started.receiver, 0, 30_000);
  const baseline = await heap();
  const samples: { at: number; received: number; used: number }[] = [];
  const began = Date.now();
  while ((await started.receiver.getByTestId('transfer-status').getAttribute('data-state')) !== 'done') {
    samples.push({ at: Date.now() - began, received: await bytesReceived(started.receiver), used: await heap() });
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await waitForState(started.receiver, 'done');
  const place = await storagePlace(started.receiver);
  const seconds = (Date.now() - began) / 1000;
  const peak = Math.max(...samples.map((s) => s.used));
  const mb = (bytes: number) => (bytes / MiB).toFixed(1);
  console.log(
    [
      `received ${size / MiB} MiB in ${seconds.toFixed(1)} s (${(size / 1e6 / seconds).toFixed(1)} MB/s, stored in ${place})`,
      `receiver JS heap: ${mb(baseline)} MiB at start, peak ${mb(peak)} MiB, growth ${mb(peak - baseline)} MiB (${samples.length} samples, 1/s)`,
      ...samples.filter((_, i) => i % 10 === 0).map((s) => `  t=${(s.at / 1000).toFixed(0)}s received=${mb(s.received)} MiB heap=${mb(s.used)} MiB`),
    ].join('\n'),
  );
  const [saved] = await saveAll(started.receiver);
  expect(saved!.sha256).toBe(file.sha256);
  // The figure the design sets: the heap grows by no more than about 64 MiB.
  expect(peak - baseline).toBeLessThan(64 * MiB);
});
