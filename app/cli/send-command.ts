/**
 * `ferry send <files or folders…> [--text TEXT] [--server URL]`: the same ShareHost as
 * the web page, over node-datachannel. Lists the files (and says a text goes with
 * them), prints the link and its QR code once the share is registered with the
 * server, shows each receiver as it comes, gets going and finishes, and serves until
 * Ctrl-C, which ends the link for every receiver.
 */
import { newBrokerToken } from '../src/common/broker-ids.ts';
import { shareBroker } from '../src/net/share-broker.ts';
import { newSenderKeys } from '../src/transfer/auth.ts';
import { FileTrees } from '../src/transfer/file-trees.ts';
import { nodeDigest } from './block-digest-node.ts';
import { newSecret, shareLink } from '../src/transfer/link.ts';
import type { EndReason } from '../src/transfer/messages.ts';
import { displayName } from '../src/common/names.ts';
import { ShareGate } from '../src/transfer/share-gate.ts';
import { ShareHost, type HostState } from '../src/session/share-host.ts';
import type { ReceiverRow } from '../src/session/receiver-rows.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { fileListing } from './file-listing.ts';
import { fileSources, findFiles, UnsendablePathError } from './local-files.ts';
import { logStep, plainLine, progressLine } from './progress-line.ts';
import type { Screen } from './screen.ts';
import { terminalQr } from './terminal-qr.ts';
import { ownDevice } from './own-device.ts';
import type { TextSource } from './args.ts';
import { readText, UnsendableTextError } from './read-text.ts';

export interface SendCommand {
  paths: string[];
  server: string;
  text: TextSource | null;
}

const LOG_EVERY_PERCENT = 10;
/** After Ctrl-C, how long receivers have to hear that the link ended before we hang up. */
const GOODBYE_MS = 500;

/**
 * Runs until Ctrl-C (`interrupted`), or until the server cannot be reached at the
 * start. Load this module only once the WebRTC globals are in place (main.ts).
 */
export async function sendFiles({ paths, server, text: given }: SendCommand, screen: Screen, interrupted: Promise<void>): Promise<ExitCode> {
  let found;
  let text: string | null = null;
  try {
    found = await findFiles(paths);
    if (given?.from === 'stdin' && process.stdin.isTTY) screen.say('Type the text to share, then press Ctrl-D on a line of its own:');
    if (given) text = given.from === 'stdin' ? await readText(process.stdin) : given.text;
  } catch (error) {
    if (error instanceof UnsendablePathError || error instanceof UnsendableTextError) {
      screen.error(`ferry: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
  const { sources, close } = fileSources(found);
  const { senderKey, signingKey } = newSenderKeys();
  const broker = shareBroker(server, 'silent');
  const brokerToken = newBrokerToken();
  const keys = { peerId: await broker.newPeerId(brokerToken), brokerToken, secret: newSecret(), signingKey };
  let ended: EndReason | null = null;
  /** The share is registered and its link printed: until then, the status line says it is connecting. */
  let sharing = false;
  /** Receivers said to be receiving: their progress comes after that line, never before it. */
  const receiving = new Set<string>();
  const logged = new Map<string, number>();

  const label = (row: ReceiverRow) => `Receiver ${row.number}${row.device ? ` (says it is ${displayName(row.device)})` : ''}`;
  const show = ({ status, receivers }: HostState) => {
    if (!sharing) return;
    // 'starting' again is a reconnection's next try.
    if (status !== 'online') return screen.status('Lost the Ferry server: reconnecting (receivers already connected carry on)…');
    for (const row of receivers) if (row.snapshot.state !== 'transferring') receiving.delete(row.id);
    const active = receivers.filter((row) => receiving.has(row.id));
    if (active.length === 0) return screen.status('Waiting for receivers…');
    if (!screen.live) {
      for (const row of active) {
        const step = logStep(row.snapshot.progress, LOG_EVERY_PERCENT);
        if (logged.get(row.id) === step) continue;
        logged.set(row.id, step);
        screen.say(plainLine(`Receiver ${row.number}`, row.snapshot.progress));
      }
      return;
    }
    const row = active[active.length - 1]!;
    const others = active.length > 1 ? ` +${active.length - 1}` : '';
    screen.status(progressLine(`Receiver ${row.number}${others}`, row.snapshot.progress, screen.columns));
  };

  // Hashed from now on, while the link is shown and before anyone opens it.
  const trees = new FileTrees({ digest: nodeDigest });
  void trees.hashAll(sources);
  const host = new ShareHost({
    broker,
    keys,
    files: sources,
    text,
    gate: new ShareGate(),
    trees,
    ended: () => ended,
    device: ownDevice(),
    onchange: show,
    onstarted: (row) => {
      receiving.add(row.id);
      screen.say(`${label(row)} is receiving.`);
      show(host.state);
    },
    onfinished: (row) => screen.say(`✓ ${label(row)} has ${found.length === 0 ? 'the text' : 'every file'}.`),
  });

  screen.status(`Connecting to ${new URL(server).host}…`);
  try {
    // Ctrl-C while the server is slow to answer stops at once.
    const stopped = await Promise.race([host.open().then(() => false), interrupted.then(() => true)]);
    if (stopped) {
      host.close();
      await close();
      screen.clear();
      screen.say('Stopped before sharing began.');
      return EXIT.interrupted;
    }
  } catch (error) {
    screen.clear();
    screen.error(`ferry: cannot share through ${server}: ${error instanceof Error ? error.message : String(error)}`);
    await close();
    return EXIT.unreachable;
  }
  const link = shareLink(server, { ...keys, senderKey });
  screen.clear();
  if (found.length > 0) for (const line of fileListing(found, screen.live ? screen.columns : Infinity)) screen.say(line);
  if (text !== null) screen.say(found.length === 0 ? 'Sharing a text.' : 'And a text.');
  screen.say('\nOpen this link on the receiving device, or scan the code:\n');
  for (const line of terminalQr(link).lines) screen.say(`  ${line}`);
  screen.say(`\n  ${link}\n`);
  screen.say('Keep this running until everyone has the files; Ctrl-C stops sharing.');
  sharing = true;
  show(host.state);

  await interrupted;
  ended = 'stopped';
  host.endAll('stopped');
  await new Promise((resolve) => setTimeout(resolve, GOODBYE_MS));
  host.close();
  await close();
  const done = host.state.receivers.filter((row) => row.snapshot.state === 'done').length;
  screen.clear();
  screen.say(`Stopped sharing; the link no longer works. ${done === 1 ? '1 receiver' : `${done} receivers`} got every file.`);
  return EXIT.interrupted;
}
