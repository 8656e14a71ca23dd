/**
 * `ferry receive <link> [--out DIR]`: the same ReceiveFlow as the web page, over
 * node-datachannel, storing into a folder. Download is chosen from the start, so a
 * dropped connection is redialled and a second run with the same link resumes.
 * A text the sender shares is printed, set off, before the files arrive; it is not
 * written to the folder (redirect the output to keep it).
 */
import { resolve } from 'node:path';
import { ownDevice } from './own-device.ts';
import { dial, DIAL_TIMES, type DialTimes } from '../src/net/dial.ts';
import { ReceiveFlow, type TransferBook } from '../src/session/receive-flow.ts';
import type { Channel } from '../src/transfer/channel.ts';
import { carriedFailure, failureMessage } from '../src/transfer/failure.ts';
import type { ShareAddress } from '../src/transfer/link.ts';
import type { EndReason } from '../src/transfer/messages.ts';
import { displayName } from '../src/transfer/names.ts';
import type { ReceiverSnapshot } from '../src/transfer/receiver.ts';
import { askPassword } from './ask-password.ts';
import { textBlock } from './terminal-text.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { FileStore } from './file-store.ts';
import { folderBook } from './folder-book.ts';
import { arrivingName, formatBytes, logStep, plainLine, progressLine } from './progress-line.ts';
import { RecordFolder } from './record-folder.ts';
import type { Screen } from './screen.ts';
import { nodeDisk, UnsafePlaceError } from './store-disk.ts';

export interface ReceiveCommand {
  server: string;
  address: ShareAddress;
  out: string;
}

/** How long a finished transfer waits for the sender to hang up first. */
const GOODBYE_MS = 3000;

/** How often a log (not a terminal) gets a progress line. */
const LOG_EVERY_PERCENT = 10;

const ENDED: Record<EndReason, string> = {
  stopped: 'The sender stopped sharing this link.',
  expired: 'This link has expired.',
  declined: 'The sender declined to send you the files.',
  busy: 'The sender is serving as many receivers as it can: try again in a while.',
  'timed-out': 'The sender stopped waiting for you: run the command again to carry on.',
};

/**
 * Runs until everything is received (or it cannot be); `interrupted` resolves on
 * Ctrl-C. Load this module only once the WebRTC globals are in place (main.ts):
 * PeerJS, which it loads, looks for WebRTC once, when it loads.
 */
export async function receiveFiles(
  { server, address, out }: ReceiveCommand,
  screen: Screen,
  interrupted: Promise<void>,
  env: { FERRY_PASSWORD?: string | undefined } = {},
): Promise<ExitCode> {
  const book = folderBook(out);
  // Before the link is even dialled: a link or a folder others could use against us is named at once.
  const unsafe = await unsafePlace(out, book, address);
  if (unsafe) {
    screen.error(`Cannot store the files in ${out}: ${unsafe.message}`);
    return EXIT.unsafeFolder;
  }
  let finish!: (code: ExitCode) => void;
  const finished = new Promise<ExitCode>((resolve) => (finish = resolve));
  let shown: string | null = null;
  let textShown = false;
  let logged = -1;
  let asking = false;
  /** Everything arrived: tidying up, with nothing more to show. */
  let finishing = false;
  let passwordFromEnv = env.FERRY_PASSWORD;
  /** The current connection's channel. */
  let channel: Channel | null = null;

  const flow: ReceiveFlow<FileStore> = new ReceiveFlow({
    address,
    book,
    device: ownDevice(),
    dial: async (signal) => {
      const { peer, connection } = await dialPatiently((times) => dial(server, address, signal, times, 'silent'));
      channel = connection.channel;
      return { ...connection, close: () => peer.destroy() };
    },
    onchange: () => show(),
  });

  let over = false;
  const end = (code: ExitCode, message?: string) => {
    if (over) return;
    over = true;
    screen.clear();
    if (message && (code === EXIT.ok || code === EXIT.interrupted)) screen.say(message);
    else if (message) screen.error(message);
    finish(code);
  };

  const show = () => {
    if (over || finishing) return;
    const { phase, trouble, gaveUp, snapshot } = flow.state;
    if (snapshot?.text != null && !textShown) {
      textShown = true;
      screen.say(textBlock(snapshot.text));
    }
    const status = flow.status;
    const first = status !== shown;
    shown = status;
    // The status line said where things stood; now they have moved on, a line said
    // below must not bring it back.
    if (first) screen.clear();
    const blocked = flow.state.blocked;
    if (blocked?.kind === 'storage') {
      const { code } = blocked.failure;
      const exit = code === 'storage-full' ? EXIT.diskFull : code === 'unsafe-folder' ? EXIT.unsafeFolder : EXIT.failed;
      return end(exit, `Cannot store the files in ${out}: ${failureMessage(blocked.failure)}`);
    }
    if (phase === 'offline') {
      const why = trouble?.kind === 'unreachable' ? failureMessage(trouble.failure) : 'The connection dropped.';
      return end(EXIT.unreachable, gaveUp ? `Gave up reconnecting: ${why}` : why);
    }
    switch (status) {
      case 'connecting':
        return screen.status(`Connecting to the sender through ${new URL(server).host}…`);
      case 'reconnecting':
        return screen.status('The connection dropped: reconnecting to the sender…');
      case 'password':
        return void askForPassword(snapshot!);
      case 'approval':
        if (first) screen.say('Waiting for the sender to let you in…');
        return;
      case 'waiting':
        return;
      case 'transferring':
      case 'verifying':
        if (first && snapshot!.resumedAt !== null && snapshot!.progress.bytes > 0) {
          screen.say(`Resuming: ${formatBytes(snapshot!.progress.bytes)} of ${formatBytes(snapshot!.progress.total)} were already here.`);
        } else if (first && logged === -1) {
          const from = snapshot!.senderDevice ? ` from ${snapshot!.senderDevice} (self-reported)` : '';
          screen.say(`Receiving ${describeFiles(snapshot!)}${from} into ${out}`);
        }
        return progress(snapshot!);
      case 'done':
        return void done(snapshot!);
      case 'ended':
        return end(EXIT.failed, ENDED[snapshot!.ended ?? 'stopped']);
      case 'error': {
        // A drop is redialled (the flow says 'reconnecting' next); anything else is final.
        if (!snapshot || snapshot.disconnected) return;
        const failure = snapshot.failure;
        const message = failure ? failureMessage(failure) : (snapshot.error ?? 'The transfer failed.');
        if (failure?.code === 'storage-full') return end(EXIT.diskFull, `${message}\nRun the same command again once there is room.`);
        if (failure?.code === 'files-changed') return end(EXIT.failed, `${message}\nWhat was received is kept in ${out}.`);
        return end(EXIT.failed, message);
      }
    }
  };

  const progress = (snapshot: ReceiverSnapshot) => {
    const name = arrivingName(snapshot);
    if (screen.live) return screen.status(progressLine(name, snapshot.progress, screen.columns));
    const step = logStep(snapshot.progress, LOG_EVERY_PERCENT);
    if (step === logged) return;
    logged = step;
    screen.say(plainLine(name, snapshot.progress));
  };

  const askForPassword = async (snapshot: ReceiverSnapshot) => {
    const gate = snapshot.gate;
    if (asking || gate?.checking) return;
    if (gate?.retryInMs) return screen.status(`Too many wrong passwords: wait ${Math.ceil(gate.retryInMs / 1000)} s.`);
    if (gate?.triesLeft != null) screen.say(`Wrong password (${gate.triesLeft} more tries).`);
    if (passwordFromEnv !== undefined && gate?.triesLeft == null) {
      const password = passwordFromEnv;
      passwordFromEnv = undefined;
      return flow.submitPassword(password);
    }
    asking = true;
    screen.clear();
    const password = await askPassword('This share asks for a password: ');
    asking = false;
    if (password === null) {
      return end(EXIT.failed, gate?.triesLeft != null ? 'The password was wrong.' : 'This share asks for a password: run ferry in a terminal, or set FERRY_PASSWORD.');
    }
    flow.submitPassword(password);
  };

  const done = async (snapshot: ReceiverSnapshot) => {
    finishing = true;
    screen.clear();
    const store = flow.store!;
    for (const [index, file] of snapshot.files.entries()) {
      screen.say(`✓ ${store.savedPath(index) ?? displayName(file.name)}`);
    }
    // Our last messages (the final receipt) are still on their way: hanging up now
    // would lose them, and the sender would never hear that we have every file. It
    // hangs up itself once it has.
    if (channel) await hungUp(channel, GOODBYE_MS);
    // Everything is in place: only the received files stay in the folder.
    await flow.closeAndSettle();
    const record = flow.record;
    try {
      await store.close();
      if (record) await book.delete(record);
    } catch (error) {
      screen.say(`The files are all here; tidying up after the transfer failed: ${messageOf(error)}`);
    }
    end(EXIT.ok, snapshot.files.length === 0 ? 'Received the text.' : `Received ${describeFiles(snapshot)}, verified (SHA-256).`);
  };

  void interrupted.then(async () => {
    if (over || finishing) return;
    finishing = true;
    await flow.closeAndSettle();
    const snapshot = flow.state.snapshot;
    await flow.store?.close().catch(() => {});
    const kept = snapshot && snapshot.progress.bytes > 0 ? `${formatBytes(snapshot.progress.bytes)} of ${formatBytes(snapshot.progress.total)}` : null;
    end(EXIT.interrupted, kept ? `Stopped. ${kept} is kept in ${out}: run the same command again to resume.` : 'Stopped.');
  });

  // Download from the start: a drop before the files are offered is redialled too.
  flow.download();
  await flow.connect();
  const code = await finished;
  flow.close();
  return code;
}

/**
 * What in `out` Ferry will not write through, found before the transfer begins: the
 * records folder, and, for a transfer begun here before, its partial files and their
 * folders as they are now. Null if nothing; any other trouble is the flow's to report.
 */
async function unsafePlace(out: string, book: TransferBook<FileStore>, address: ShareAddress): Promise<UnsafePlaceError | null> {
  try {
    await new RecordFolder(resolve(out), nodeDisk).verify();
    const record = await book.find(address);
    if (record) await (await book.open(record)).close();
    return null;
  } catch (error) {
    return error instanceof UnsafePlaceError ? error : null;
  }
}

function describeFiles({ files, progress }: ReceiverSnapshot): string {
  const what = files.length === 1 ? displayName(files[0]!.name) : `${files.length} files`;
  return `${what} (${formatBytes(progress.total)})`;
}

/**
 * How long each attempt to connect may take before the next. libdatachannel now and
 * then refuses a connection that a second attempt makes at once: it checks the other
 * side's certificate before it has taken in the answer that names it, or turns away
 * candidates that come before its ICE transport. A first attempt that has not opened
 * within a few seconds is most likely that, not a missing path (on one network a
 * connection opens within about a second), so it is tried again sooner than dial.ts's
 * 38 s; the last attempt has all of them, for a slow relayed path.
 */
const ATTEMPT_MS = [10_000, 15_000, DIAL_TIMES.totalMs];

async function dialPatiently<T>(attempt: (times: DialTimes) => Promise<T>): Promise<T> {
  for (let index = 0; ; index++) {
    const totalMs = ATTEMPT_MS[index]!;
    try {
      return await attempt({ ...DIAL_TIMES, answerMs: Math.min(DIAL_TIMES.answerMs, totalMs), totalMs });
    } catch (error) {
      const code = carriedFailure(error)?.code;
      const setup = code === 'no-path' || code === 'setup-failed';
      if (!setup || index === ATTEMPT_MS.length - 1) throw error;
    }
  }
}

/** Resolves once `channel` has closed, or after `ms`. */
function hungUp(channel: Channel, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (channel.readyState === 'closed') return resolve();
    const timer = setTimeout(resolve, ms);
    channel.addEventListener('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
