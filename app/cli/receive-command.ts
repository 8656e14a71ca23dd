/**
 * `ferry receive <link> [--out DIR]`: the same ReceiveFlow as the web page, over
 * node-datachannel, storing into a folder. Download is chosen from the start, so a
 * dropped connection is redialled and a second run with the same link resumes.
 * A text the sender shares is printed, set off, before the files arrive; it is not
 * written to the folder (redirect the output to keep it).
 */
import { shortFingerprint } from '../src/format/fingerprint.ts';
import { resolve } from 'node:path';
import { ownDevice } from './own-device.ts';
import { dial, DIAL_TIMES, type DialTimes } from '../src/net/dial.ts';
import { ReceiveFlow, type TransferBook } from '../src/session/receive-flow.ts';
import type { Channel } from '../src/transfer/channel.ts';
import { carriedFailure, failureMessage } from '../src/transfer/failure.ts';
import type { ShareAddress } from '../src/transfer/link.ts';
import { displayName } from '../src/common/names.ts';
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
import { ENDED, failureEnding, messageOf, storageEnding, unsafeEnding, type Ending } from './receive-endings.ts';

export interface ReceiveCommand {
  server: string;
  address: ShareAddress;
  out: string;
}

/** How long a finished transfer waits for the sender to hang up first. */
const GOODBYE_MS = 3000;

/** How often a log (not a terminal) gets a progress line. */
const LOG_EVERY_PERCENT = 10;

/**
 * Runs until everything is received (or it cannot be); `interrupted` resolves on
 * Ctrl-C. Load this module only once the WebRTC globals are in place (main.ts):
 * PeerJS, which it loads, looks for WebRTC once, when it loads.
 */
export async function receiveFiles(
  command: ReceiveCommand,
  screen: Screen,
  interrupted: Promise<void>,
  env: { FERRY_PASSWORD?: string | undefined } = {},
): Promise<ExitCode> {
  const book = folderBook(command.out);
  // Before the link is even dialled: a link or a folder others could use against us is named at once.
  const unsafe = await unsafePlace(command.out, book, command.address);
  if (unsafe) {
    screen.error(unsafeEnding(command.out, unsafe).message);
    return EXIT.unsafeFolder;
  }
  return new TerminalReceive(command, book, screen, env.FERRY_PASSWORD).run(interrupted);
}

/** One `ferry receive`: follows the flow and says on the screen where it stands, until it ends. */
class TerminalReceive {
  readonly #out: string;
  readonly #server: string;
  readonly #screen: Screen;
  readonly #book: TransferBook<FileStore>;
  readonly #flow: ReceiveFlow<FileStore>;
  readonly #finished: Promise<ExitCode>;
  #finish!: (code: ExitCode) => void;
  /** The status last shown. */
  #shown: string | null = null;
  #textShown = false;
  /** The last progress step written to a log. */
  #logged = -1;
  #asking = false;
  /** Everything arrived: tidying up, with nothing more to show. */
  #finishing = false;
  #over = false;
  #passwordFromEnv: string | undefined;
  /** The current connection's channel. */
  #channel: Channel | null = null;

  constructor({ server, address, out }: ReceiveCommand, book: TransferBook<FileStore>, screen: Screen, password: string | undefined) {
    this.#out = out;
    this.#server = server;
    this.#screen = screen;
    this.#book = book;
    this.#passwordFromEnv = password;
    this.#finished = new Promise<ExitCode>((resolve) => (this.#finish = resolve));
    this.#flow = new ReceiveFlow({
      address,
      book,
      device: ownDevice(),
      dial: async (signal) => {
        const { peer, connection } = await dialPatiently((times) => dial(server, address, signal, times, 'silent'));
        this.#channel = connection.channel;
        return { ...connection, close: () => peer.destroy() };
      },
      onchange: () => this.#show(),
    });
  }

  async run(interrupted: Promise<void>): Promise<ExitCode> {
    void interrupted.then(() => this.#interrupt());
    // Download from the start: a drop before the files are offered is redialled too.
    this.#flow.download();
    await this.#flow.connect();
    const code = await this.#finished;
    this.#flow.close();
    return code;
  }

  #end(code: ExitCode, message?: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#screen.clear();
    if (message && (code === EXIT.ok || code === EXIT.interrupted)) this.#screen.say(message);
    else if (message) this.#screen.error(message);
    this.#finish(code);
  }

  #endWith({ code, message }: Ending): void {
    this.#end(code, message);
  }

  #show(): void {
    if (this.#over || this.#finishing) return;
    const { phase, trouble, gaveUp, snapshot, blocked } = this.#flow.state;
    if (snapshot?.text != null && !this.#textShown) {
      this.#textShown = true;
      this.#screen.say(textBlock(snapshot.text));
    }
    const status = this.#flow.status;
    const first = status !== this.#shown;
    this.#shown = status;
    // The status line said where things stood; now they have moved on, a line said
    // below must not bring it back.
    if (first) this.#screen.clear();
    if (blocked?.kind === 'storage') return this.#endWith(storageEnding(this.#out, blocked.failure));
    if (phase === 'offline') {
      const why = trouble?.kind === 'unreachable' ? failureMessage(trouble.failure) : 'The connection dropped.';
      return this.#end(EXIT.unreachable, gaveUp ? `Gave up reconnecting: ${why}` : why);
    }
    this.#showStatus(status, first, snapshot);
  }

  #showStatus(status: ReceiveFlow<FileStore>['status'], first: boolean, snapshot: ReceiverSnapshot | null): void {
    switch (status) {
      case 'connecting':
        return this.#screen.status(`Connecting to the sender through ${new URL(this.#server).host}…`);
      case 'reconnecting':
        return this.#screen.status('The connection dropped: reconnecting to the sender…');
      case 'password':
        return void this.#askForPassword(snapshot!);
      case 'approval':
        if (first) this.#screen.say('Waiting for the sender to let you in…');
        return;
      case 'waiting':
        return;
      case 'transferring':
        return this.#showTransfer(first, snapshot!);
      case 'done':
        return void this.#done(snapshot!);
      case 'ended':
        return this.#endWith(ENDED[snapshot!.ended ?? 'stopped']);
      case 'error':
        return this.#failed(snapshot);
    }
  }

  #showTransfer(first: boolean, snapshot: ReceiverSnapshot): void {
    if (first && snapshot.resumedAt !== null && snapshot.progress.bytes > 0) {
      this.#screen.say(`Resuming: ${formatBytes(snapshot.progress.bytes)} of ${formatBytes(snapshot.progress.total)} were already here.`);
    } else if (first && this.#logged === -1) {
      const from = snapshot.senderDevice ? ` from ${snapshot.senderDevice} (self-reported)` : '';
      this.#screen.say(`Receiving ${describeFiles(snapshot)}${from} into ${this.#out}`);
    }
    this.#progress(snapshot);
  }

  #progress(snapshot: ReceiverSnapshot): void {
    const name = arrivingName(snapshot);
    if (this.#screen.live) return this.#screen.status(progressLine(name, snapshot.progress, this.#screen.columns));
    const step = logStep(snapshot.progress, LOG_EVERY_PERCENT);
    if (step === this.#logged) return;
    this.#logged = step;
    this.#screen.say(plainLine(name, snapshot.progress));
  }

  /** The session ended with an error: a drop is redialled (the flow says 'reconnecting' next); anything else is final. */
  #failed(snapshot: ReceiverSnapshot | null): void {
    if (!snapshot || snapshot.disconnected) return;
    this.#endWith(failureEnding(this.#out, snapshot.failure, snapshot.error));
  }

  async #askForPassword(snapshot: ReceiverSnapshot): Promise<void> {
    const gate = snapshot.gate;
    if (this.#asking || gate?.checking) return;
    if (gate?.retryInMs) return this.#screen.status(`Too many wrong passwords: wait ${Math.ceil(gate.retryInMs / 1000)} s.`);
    if (gate?.triesLeft != null) this.#screen.say(`Wrong password (${gate.triesLeft} more tries).`);
    if (this.#passwordFromEnv !== undefined && gate?.triesLeft == null) {
      const password = this.#passwordFromEnv;
      this.#passwordFromEnv = undefined;
      return this.#flow.submitPassword(password);
    }
    this.#asking = true;
    this.#screen.clear();
    const password = await askPassword('This share asks for a password: ');
    this.#asking = false;
    if (password === null) {
      return this.#end(EXIT.failed, gate?.triesLeft != null ? 'The password was wrong.' : 'This share asks for a password: run ferry in a terminal, or set FERRY_PASSWORD.');
    }
    this.#flow.submitPassword(password);
  }

  async #done(snapshot: ReceiverSnapshot): Promise<void> {
    this.#finishing = true;
    this.#screen.clear();
    const store = this.#flow.store!;
    // Each with its fingerprint, which the sender's page shows and `ferry hash` prints in full.
    for (const [index, file] of snapshot.files.entries()) {
      const root = snapshot.roots[index];
      this.#screen.say(`✓ ${store.savedPath(index) ?? displayName(file.name)}${root ? `  ·  ${shortFingerprint(root)}` : ''}`);
    }
    // Our last messages (the final receipt) are still on their way: hanging up now
    // would lose them, and the sender would never hear that we have every file. It
    // hangs up itself once it has.
    if (this.#channel) await hungUp(this.#channel, GOODBYE_MS);
    // Everything is in place: only the received files stay in the folder.
    await this.#flow.closeAndSettle();
    const record = this.#flow.record;
    try {
      await store.close();
      if (record) await this.#book.delete(record);
    } catch (error) {
      this.#screen.say(`The files are all here; tidying up after the transfer failed: ${messageOf(error)}`);
    }
    this.#end(EXIT.ok, snapshot.files.length === 0 ? 'Received the text.' : `Received ${describeFiles(snapshot)}, verified (SHA-256).`);
  }

  async #interrupt(): Promise<void> {
    if (this.#over || this.#finishing) return;
    this.#finishing = true;
    await this.#flow.closeAndSettle();
    const snapshot = this.#flow.state.snapshot;
    await this.#flow.store?.close().catch(() => {});
    const kept = snapshot && snapshot.progress.bytes > 0 ? `${formatBytes(snapshot.progress.bytes)} of ${formatBytes(snapshot.progress.total)}` : null;
    this.#end(EXIT.interrupted, kept ? `Stopped. ${kept} is kept in ${this.#out}: run the same command again to resume.` : 'Stopped.');
  }
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
