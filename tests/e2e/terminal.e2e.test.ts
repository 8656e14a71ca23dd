import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/exit-codes.ts';
import { fileListing } from '../../app/cli/file-listing.ts';
import {
  MiB,
  newPage,
  payloadSent,
  phone,
  randomFixture,
  saveAll,
  sha256File,
  share,
  waitForState,
  useFerry,
  type Fixture,
} from './harness.ts';
import { holdReads, PROGRESS_LAG, releaseReads } from './held-reads.ts';
import { SLACK, useLargeFile } from './resume-steps.ts';
import { Terminal, type TerminalOptions } from './terminal.ts';

// With STUN, as `npm start` serves: libdatachannel gathers differently with a STUN
// server, and the terminal client has to cope (app/cli/node-webrtc.ts).
const ferry = useFerry({ stun: true });
const large = useLargeFile(ferry);
const running: Terminal[] = [];
afterEach(async () => {
  const terminals = running.splice(0);
  await Promise.all(terminals.map((terminal) => terminal.stop('SIGKILL')));
  // Ferry says what went wrong in its own words; PeerJS's log lines never reach the person.
  for (const terminal of terminals) expect(terminal.output).not.toMatch(/PeerJS/i);
});

function run(...argv: string[]): Terminal {
  return runWith({}, ...argv);
}

function runWith(options: TerminalOptions, ...argv: string[]): Terminal {
  const terminal = new Terminal(argv, options);
  running.push(terminal);
  return terminal;
}

/** How many times `text` is in `output`. */
function timesIn(output: string, text: string): number {
  return output.split(text).length - 1;
}

let folders = 0;
async function newFolder(): Promise<string> {
  const folder = path.join(ferry.dir, `received-${++folders}`);
  await mkdir(folder);
  return folder;
}

/** A few files as a person sends them: one over a commit batch, one small, one with a name in Cyrillic. */
async function someFiles(prefix: string): Promise<Fixture[]> {
  return Promise.all([
    randomFixture(ferry.dir, `${prefix}-photo.jpg`, 3 * MiB + 5),
    randomFixture(ferry.dir, `${prefix}-notes.txt`, 2000),
    randomFixture(ferry.dir, `${prefix}-отчёт.pdf`, 70_000),
  ]);
}

/** The folder holds exactly these files, byte for byte, and nothing of the transfer's own. */
async function expectReceivedInto(folder: string, files: Fixture[]): Promise<void> {
  const names = files.map((file) => path.basename(file.path));
  expect((await readdir(folder)).sort()).toEqual([...names].sort());
  for (const file of files) expect(await sha256File(path.join(folder, path.basename(file.path)))).toBe(file.sha256);
}

describe('the terminal and the browser, both ways', () => {
  it('a terminal shares files, and a phone’s browser receives them by the link', async () => {
    const files = await someFiles('t2b');
    const sender = run('send', ...files.map((file) => file.path), '--server', ferry.origin);
    const link = await sender.link();
    expect(sender.output).toContain('█');
    // What is shared, listed before the link; waiting for receivers only once there is one.
    const listing = fileListing(files.map((file) => ({ name: path.basename(file.path), size: file.size }))).join('\n');
    expect(sender.output).toContain(listing);
    expect(sender.output.indexOf(listing)).toBeLessThan(sender.output.indexOf(link));
    await sender.until(/Waiting for receivers/);
    expect(sender.output.indexOf('Waiting for receivers')).toBeGreaterThan(sender.output.indexOf(link));
    const { page } = await newPage(ferry.receiverBrowser, phone());
    await page.goto(link);
    await waitForState(page, 'waiting', 20_000);
    await page.getByTestId('download').click();
    await waitForState(page, 'done', 120_000);
    const saved = await saveAll(page);
    expect(saved.map((file) => [file.name, file.sha256])).toEqual(files.map((file) => [path.basename(file.path), file.sha256]));
    await sender.until(/Receiver 1 .*has every file/);
    expect(await sender.stop('SIGINT')).toBe(EXIT.interrupted);
    expect(sender.output).toContain('Stopped sharing');
  });

  it('a browser shares files, and a terminal receives them into a folder', async () => {
    const files = await someFiles('b2t');
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, files.map((file) => file.path));
    const folder = await newFolder();
    const receiver = run('receive', link, '--out', folder);
    expect(await receiver.exited).toBe(EXIT.ok);
    expect(receiver.output).toMatch(/verified/);
    await expectReceivedInto(folder, files);
    await waitForState(page, 'done', 10_000);
  });

  it('a terminal receives a share with a password, given in FERRY_PASSWORD, and is refused a wrong one', async () => {
    const [file] = await someFiles('locked');
    const { page } = await newPage(ferry.senderBrowser);
    await page.goto(ferry.origin);
    await page.getByTestId('share-password').fill('correct horse');
    await page.locator('input[type=file]').setInputFiles([file!.path]);
    const field = page.getByTestId('share-link');
    await expect.poll(() => field.inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
    const link = await field.inputValue();
    // Not at a terminal, a wrong password cannot be typed again: it stops there.
    const wrong = runWith({ env: { FERRY_PASSWORD: 'wrong' } }, 'receive', link, '--out', await newFolder());
    expect(await wrong.exited).toBe(EXIT.failed);
    expect(wrong.output).toMatch(/Wrong password/);
    const folder = await newFolder();
    const right = runWith({ env: { FERRY_PASSWORD: 'correct horse' } }, 'receive', link, '--out', folder);
    expect(await right.exited).toBe(EXIT.ok);
    await expectReceivedInto(folder, [file!]);
  });

  it('one terminal shares, and another receives, without renaming over what is there', async () => {
    const files = await someFiles('t2t');
    const sender = run('send', ...files.map((file) => file.path), '--server', ferry.origin);
    const link = await sender.link();
    const folder = await newFolder();
    const first = run('receive', link, '--out', folder);
    expect(await first.exited).toBe(EXIT.ok);
    await expectReceivedInto(folder, files);
    expect(timesIn(first.output, 'Connecting to the sender')).toBe(1);
    // The same link again: a new copy beside the first, never over it.
    const second = run('receive', link, '--out', folder);
    expect(await second.exited).toBe(EXIT.ok);
    const names = await readdir(folder);
    expect(names).toHaveLength(2 * files.length);
    expect(names).toContain('t2t-notes (1).txt');
    expect(await sha256File(path.join(folder, 't2t-notes (1).txt'))).toBe(files[1]!.sha256);
  });

  it('a receiving terminal counts the file arriving now, and redraws no status line that is over', async () => {
    const files = await Promise.all([
      randomFixture(ferry.dir, 'count-a.txt', 2000),
      randomFixture(ferry.dir, 'count-b.txt', 70_000),
      randomFixture(ferry.dir, 'count-c.bin', 8 * MiB),
    ]);
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, files.map((file) => file.path));
    // The first two files pass, and the third stops after its first bytes.
    await page.evaluate(holdReads, files[0]!.size + files[1]!.size + 1);
    const folder = await newFolder();
    // At a terminal, where the status line is redrawn in place.
    const receiver = runWith({ tty: true }, 'receive', link, '--out', folder);
    await receiver.until(/3\/3 count-c\.bin/);
    await page.evaluate(releaseReads);
    expect(await receiver.exited).toBe(EXIT.ok);
    await expectReceivedInto(folder, files);
    // Drawn once, and not drawn again under the line that said the files are coming.
    expect(timesIn(receiver.output, 'Connecting to the sender')).toBe(1);
  });

  it('a receiving terminal killed half-way resumes when run again, fetching little twice', async () => {
    const file = large.current;
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, [file.path]);
    await page.evaluate(holdReads, file.size / 2 + PROGRESS_LAG);
    const folder = await newFolder();
    const first = run('receive', link, '--out', folder);
    // Piped, the progress comes as a line each time it reaches another tenth, with
    // the figure it has then: held past half way, it prints one in the fifties.
    await first.until(/\b5\d%/, 120_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    await page.evaluate(releaseReads);
    const again = run('receive', link, '--out', folder);
    expect(await again.exited).toBe(EXIT.ok);
    expect(again.output).toMatch(/Resuming: \d+/);
    expect(await sha256File(path.join(folder, 'resume.bin'))).toBe(file.sha256);
    await waitForState(page, 'done', 10_000);
    const sent = await payloadSent(page);
    console.log(`terminal resume overhead: ${((sent - file.size) / MiB).toFixed(2)} MiB beyond the ${file.size / MiB} MiB file (bound ${(SLACK / MiB).toFixed(2)} MiB)`);
    expect(sent).toBeGreaterThanOrEqual(file.size);
    expect(sent).toBeLessThanOrEqual(file.size + SLACK);
  });
  it('Ctrl-C keeps what a receiving terminal has, says so, and a second run finishes from there', async () => {
    const file = large.current;
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, [file.path]);
    await page.evaluate(holdReads, 0.3 * file.size + PROGRESS_LAG);
    const folder = await newFolder();
    const first = run('receive', link, '--out', folder);
    await first.until(/\b3\d%/, 120_000);
    expect(await first.stop('SIGINT')).toBe(EXIT.interrupted);
    await page.evaluate(releaseReads);
    expect(first.output).toMatch(/Stopped\. .* is kept in .*run the same command again to resume/);
    expect(await readdir(folder)).toContain('resume.bin.ferry-part');
    const again = run('receive', link, '--out', folder);
    expect(await again.exited).toBe(EXIT.ok);
    expect(again.output).toMatch(/Resuming: \d+/);
    expect(await sha256File(path.join(folder, 'resume.bin'))).toBe(file.sha256);
  });
});

describe('the terminal’s errors', () => {
  it('refuses a damaged link at once, in one line without the usage, with exit code 2', async () => {
    const receiver = run('receive', `${ferry.origin}/#/r/abc`);
    expect(await receiver.exited).toBe(EXIT.usage);
    expect(receiver.stdout).toBe('');
    expect(receiver.stderr).toMatch(/^ferry: .*link.*\n$/);
  });

  it('says the sender is not online, with exit code 3, when nobody holds the link’s id', async () => {
    const files = await someFiles('gone');
    const sender = run('send', files[1]!.path, '--server', ferry.origin);
    const link = await sender.link();
    await sender.stop('SIGINT');
    // The same link but for its sender's id (20 characters: no shard), which nobody has ever held.
    const nobody = link.replace(/\/#\/r\/[a-z0-9]+\//, '/#/r/nobodyholdsthisid000/');
    expect(nobody).not.toBe(link);
    const receiver = run('receive', nobody, '--out', await newFolder());
    expect(await receiver.exited).toBe(EXIT.unreachable);
    expect(receiver.stderr).toMatch(/^The sender is not online.*\n$/);
  });

  it('refuses a folder whose .ferry is a link, with exit code 5, and writes nothing where the link leads', async () => {
    const files = await someFiles('planted');
    const sender = run('send', files[1]!.path, '--server', ferry.origin);
    const link = await sender.link();
    const [folder, elsewhere] = await Promise.all([newFolder(), newFolder()]);
    await symlink(elsewhere, path.join(folder, '.ferry'));
    const receiver = run('receive', link, '--out', folder);
    expect(await receiver.exited).toBe(EXIT.unsafeFolder);
    expect(receiver.stdout).toBe('');
    expect(receiver.stderr).toBe(
      `Cannot store the files in ${folder}: ${path.join(folder, '.ferry')} is a symbolic link, and Ferry does not write through links. Remove it, or receive into another folder.\n`,
    );
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readdir(folder)).toEqual(['.ferry']);
  });

  it('refuses a link planted mid-transfer where a file goes, with exit code 5 and the words it has at the start', async () => {
    const file = await randomFixture(ferry.dir, 'mid.txt', 2000);
    const { page } = await newPage(ferry.senderBrowser);
    const link = await share(page, ferry.origin, [file.path]);
    // Nothing of the file is read until the link is planted.
    await page.evaluate(holdReads, 0);
    const [folder, elsewhere] = await Promise.all([newFolder(), newFolder()]);
    const victim = path.join(elsewhere, '.profile');
    await writeFile(victim, 'theirs');
    const receiver = run('receive', link, '--out', folder);
    // Said once the transfer has begun: its partial file is made, and asked for.
    await receiver.until(/Receiving mid\.txt/);
    const part = path.join(folder, 'mid.txt.ferry-part');
    await rm(part);
    await symlink(victim, part);
    await page.evaluate(releaseReads);
    expect(await receiver.exited).toBe(EXIT.unsafeFolder);
    expect(receiver.stderr).toBe(
      `Cannot store the files in ${folder}: ${part} is a symbolic link, and Ferry does not write through links. Remove it, or receive into another folder.\n`,
    );
    expect(await readFile(victim, 'utf8')).toBe('theirs');
  });

  it('says it cannot reach a server that is not there, with exit code 3', async () => {
    const files = await someFiles('nowhere');
    const sender = run('send', files[1]!.path, '--server', 'http://127.0.0.1:9');
    expect(await sender.exited).toBe(EXIT.unreachable);
    expect(sender.stderr).toMatch(/^ferry: cannot share through [^\n]*\n$/);
    // Never registered, so never waiting for anyone.
    expect(sender.output).not.toMatch(/Waiting for receivers/);
  });
});
