/**
 * One Ferry transfer as a person makes it, for the benches that time Ferry
 * (throughput.ts, rtt.ts): the sender picks the files in Ferry's page, the receiver
 * opens the share link and presses Download the moment the list appears
 * (page/ferry-probe.ts), and the round ends when every file is stored and verified.
 */
import type { Page } from 'playwright-core';
import type { TraceEvent } from '../../app/src/transfer/trace.ts';
import type { FerryTimes } from './page/ferry-probe.ts';
import { startProfiler, type CpuProfile } from './profile.ts';
import type { Trace } from './timeline.ts';

/** Where Ferry is served, and the bundled contenders.ts whose probe times its receive page. */
export interface FerrySite {
  /** Ferry's origin: its pages, its broker. */
  origin: string;
  /** contenders.ts, bundled (page/build.ts). */
  script: string;
}

/** When a round's bytes flowed, in epoch ms, and (Ferry) how the receive page got there. */
export interface Timed {
  firstAt: number;
  lastAt: number;
  listedMs?: number;
  firstByteMs?: number;
  downloadMs?: number;
  /** Ferry only: the connection path its receiver showed. */
  path?: string;
  /** Ferry only: how many connections its receiver's blocks came over (transfer/lanes.ts). */
  connections?: number;
}

/** Filled by a profiled Ferry round. */
export interface Profiles {
  sender?: CpuProfile;
  receiver?: CpuProfile;
}

export interface FerryRoundOptions {
  /** How long the receiver may take to finish before the round fails. */
  timeoutMs: number;
  /** When given, both pages run the sampling profiler and their profiles land here. */
  profiles?: Profiles;
}

/** Shares `files` (one path or several) from `sender` to `receiver`; the times and both sides' timelines. */
export async function ferryRound(
  { origin, script }: FerrySite,
  sender: Page,
  receiver: Page,
  files: string | string[],
  { timeoutMs, profiles }: FerryRoundOptions,
): Promise<{ timed: Timed; trace: Trace }> {
  // Ferry records its timeline into this array when it finds it (app/src/transfer/trace.ts).
  await sender.addInitScript({ content: 'window.__ferryTrace = [];' });
  await sender.goto(origin);
  await sender.locator('input[type=file]').setInputFiles(files);
  const share = sender.getByTestId('share-link');
  await share.waitFor();
  await sender.waitForFunction(() => /#\/r\//.test((document.querySelector('[data-testid=share-link]') as HTMLInputElement).value));
  const link = await share.inputValue();
  // The sender's timeline is kept from here: it only has a session once the receiver comes.
  await sender.evaluate(() => (window.__ferryTrace.length = 0));
  // Bundled, like the contenders: the page cannot run code straight from this process's transpiler.
  await receiver.addInitScript({ content: `${script}\ncontenders.ferryProbe();` });
  const stopSender = profiles && (await startProfiler(sender));
  await receiver.goto(link);
  // Started once the receive page has loaded, before its transfer begins.
  const stopReceiver = profiles && (await startProfiler(receiver));
  const handle = await receiver.waitForFunction(() => (window.__ferryTimes.doneAt || window.__ferryTimes.error) && window.__ferryTimes, undefined, {
    timeout: timeoutMs,
    polling: 200,
  });
  const times = (await handle.jsonValue()) as FerryTimes;
  if (times.error) throw new Error(`Ferry's transfer failed: ${times.error}`);
  if (times.firstDataAt === undefined || times.listedAt === undefined) throw new Error('the probe saw no data frame');
  if (profiles) [profiles.sender, profiles.receiver] = await Promise.all([stopSender!(), stopReceiver!()]);
  const [senderTrace, receiverTrace] = await Promise.all([sender, receiver].map((page) => page.evaluate(() => window.__ferryTrace as TraceEvent[])));
  const path = await receiver.getByTestId('connection-path').first().getAttribute('data-path', { timeout: 5_000 });
  const connections = Number(await receiver.getByTestId('transfer-status').first().getAttribute('data-lanes', { timeout: 5_000 }));
  return {
    timed: {
      ...(path && { path }),
      ...(connections > 0 && { connections }),
      firstAt: times.firstDataAt,
      lastAt: times.doneAt!,
      listedMs: times.listedAt - times.openedAt,
      firstByteMs: times.firstDataAt - times.openedAt,
      downloadMs: times.doneAt! - times.listedAt,
    },
    trace: { sender: senderTrace!, receiver: receiverTrace!, firstAt: times.firstDataAt, lastAt: times.doneAt! },
  };
}
