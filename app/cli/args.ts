/**
 * The command line of `ferry`, read into a command or a usage error. Errors are
 * values, not exceptions or printed text: main.ts prints usageErrorMessage (and
 * USAGE where showsUsage says it helps) and exits with EXIT.usage, whatever the error.
 */
import { parseRoute, type BadLinkReason, type ShareAddress } from '../src/transfer/link.ts';
import { MAX_TEXT_BYTES, textTooLong } from '../src/transfer/messages.ts';

/**
 * Where `ferry send` shares without --server or FERRY_SERVER: a Ferry server started
 * on this machine with `npm start`, which listens on port 8080 (signal-server/config.ts).
 */
export const DEFAULT_SERVER = 'http://localhost:8080';

export const USAGE = `usage: ferry send <file or folder>... [--text TEXT] [--server URL]
       ferry receive <link> [--out DIR]
       ferry hash <file>...
       ferry --help | --version

  send               Shares files and folders, a text, or both: prints a link
                     and its QR code, and runs until Ctrl-C.
  --text TEXT        A text to share beside the files, or alone (a note, a link,
                     a password); --text - reads it from standard input.
                     At most ${MAX_TEXT_BYTES / 1024} KiB.
  receive            Fetches what a link shares. Run it again to resume.
  hash               Prints each file's fingerprint and its name, as sha256sum
                     lays out its lines; - reads standard input. A fingerprint
                     is the root of a tree of 256 KiB block hashes, not the
                     file's plain SHA-256.

  --server URL       The Ferry server to share through (default: FERRY_SERVER,
                     else ${DEFAULT_SERVER}).
  --out DIR, -o DIR  Where received files go (default: the current folder).`;

export type Command =
  /** `server` is an origin: scheme, host and port. */
  | { name: 'send'; paths: string[]; server: string; text: TextSource | null }
  /** `server` is the link's origin: the server the sender shares through. */
  | { name: 'receive'; server: string; address: ShareAddress; out: string }
  /** `paths` as given, `-` for standard input. */
  | { name: 'hash'; paths: string[] }
  | { name: 'help' }
  | { name: 'version' };

/** The text `send --text` shares: as given, or read from standard input (`--text -`). */
export type TextSource = { from: 'argument'; text: string } | { from: 'stdin' };

/** The commands that do something (not --help or --version). */
export type CommandName = 'send' | 'receive' | 'hash';

export type UsageError =
  | { code: 'no-command' }
  | { code: 'unknown-command'; command: string }
  | { code: 'unknown-option'; option: string }
  /** An option `command` takes, given to `used` (`receive --server`: the link names the server). */
  | { code: 'option-of-other-command'; option: string; command: 'send' | 'receive'; used: CommandName }
  | { code: 'missing-value'; option: string }
  | { code: 'no-paths' }
  | { code: 'no-files-to-hash' }
  | { code: 'text-too-long' }
  | { code: 'no-link' }
  | { code: 'extra-argument'; argument: string }
  /** `from` says where the bad value came from. */
  | { code: 'bad-server'; server: string; from: '--server' | 'FERRY_SERVER' }
  | { code: 'bad-link'; reason: BadLinkReason | 'not-a-link' };

export type Parsed = { ok: true; command: Command } | { ok: false; error: UsageError };

/** Options that take a value, by every name they go by, and the command each belongs to. */
const VALUE_OPTIONS: Record<string, { name: 'server' | 'out' | 'text'; command: 'send' | 'receive' }> = {
  '--server': { name: 'server', command: 'send' },
  '--text': { name: 'text', command: 'send' },
  '--out': { name: 'out', command: 'receive' },
  '-o': { name: 'out', command: 'receive' },
};

/** `argv` is what follows the program: process.argv.slice(2). */
export function parseArgs(argv: readonly string[], env: { FERRY_SERVER?: string | undefined }): Parsed {
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  // Asking for help or the version beats any mistake made on the same line.
  if (options.some((arg) => arg === '--help' || arg === '-h')) return { ok: true, command: { name: 'help' } };
  if (options.some((arg) => arg === '--version' || arg === '-V')) return { ok: true, command: { name: 'version' } };

  const positionals: string[] = [];
  const values: { server?: string; out?: string; text?: string } = {};
  const given: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (index === end) {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    // `--out=DIR`, or `--out DIR` below.
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const option = VALUE_OPTIONS[flag];
    if (!option) return failed({ code: 'unknown-option', option: flag });
    let value = equals === -1 ? undefined : arg.slice(equals + 1);
    if (value === undefined) {
      // The next argument, unless it is another option.
      const next = argv[index + 1];
      if (next !== undefined && (!next.startsWith('-') || next === '-') && index + 1 !== end) {
        value = next;
        index++;
      }
    }
    if (!value) return failed({ code: 'missing-value', option: flag });
    values[option.name] = value;
    given.push(flag);
  }

  const [command, ...operands] = positionals;
  if (command === undefined) return failed({ code: 'no-command' });
  if (!isCommandName(command)) return failed({ code: 'unknown-command', command });
  const foreign = given.find((flag) => VALUE_OPTIONS[flag]!.command !== command);
  if (foreign) return failed({ code: 'option-of-other-command', option: foreign, command: VALUE_OPTIONS[foreign]!.command, used: command });
  switch (command) {
    case 'send':
      return sendCommand(operands, values.server, values.text, env);
    case 'receive':
      return receiveCommand(operands, values.out);
    case 'hash':
      return operands.length === 0 ? failed({ code: 'no-files-to-hash' }) : { ok: true, command: { name: 'hash', paths: operands } };
  }
}

function isCommandName(word: string): word is CommandName {
  return word === 'send' || word === 'receive' || word === 'hash';
}

function sendCommand(paths: string[], flag: string | undefined, given: string | undefined, env: { FERRY_SERVER?: string | undefined }): Parsed {
  if (paths.length === 0 && given === undefined) return failed({ code: 'no-paths' });
  const textSource: TextSource | null = given === undefined ? null : given === '-' ? { from: 'stdin' } : { from: 'argument', text: given };
  if (given !== undefined && textTooLong(given)) return failed({ code: 'text-too-long' });
  // A blank variable counts as unset, as the server's own settings do (FERRY_SERVER= in a script).
  const fromEnv = env.FERRY_SERVER?.trim() || undefined;
  const text = flag ?? fromEnv ?? DEFAULT_SERVER;
  const server = serverOrigin(text);
  if (server === null) return failed({ code: 'bad-server', server: text, from: flag !== undefined ? '--server' : 'FERRY_SERVER' });
  return { ok: true, command: { name: 'send', paths, server, text: textSource } };
}

function receiveCommand(operands: string[], out = '.'): Parsed {
  const [link, extra] = operands;
  if (link === undefined) return failed({ code: 'no-link' });
  if (extra !== undefined) return failed({ code: 'extra-argument', argument: extra });
  const url = httpUrl(link);
  if (url === null) return failed({ code: 'bad-link', reason: 'not-a-link' });
  const route = parseRoute(url.hash);
  if (route.view === 'send') return failed({ code: 'bad-link', reason: 'not-a-link' });
  if (route.view === 'bad-link') return failed({ code: 'bad-link', reason: route.reason });
  return { ok: true, command: { name: 'receive', server: url.origin, address: route.address, out } };
}

/**
 * The origin of a Ferry server's address, or null. Ferry serves its broker and
 * /api/config from the root, so an address with a path, a query or a fragment is
 * not one: it would be quietly cut to its origin and reach something else.
 */
function serverOrigin(text: string): string | null {
  const url = httpUrl(text);
  if (url === null || url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
  return url.origin;
}

function httpUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function failed(error: UsageError): Parsed {
  return { ok: false, error };
}

type Phrases = { [Code in UsageError['code']]: (error: Extract<UsageError, { code: Code }>) => string };

/** Said without the usage after it, so each says what to do about it too. */
const BAD_LINK: Record<BadLinkReason | 'not-a-link', string> = {
  'not-a-link': 'this is not a Ferry share link (they look like https://…/#/r/…)',
  'no-sender-id': 'the link has no valid sender id: copy the whole link again',
  incomplete: 'the link is incomplete: copy the whole link again',
  'damaged-secret': 'the link’s secret part is damaged: copy the whole link again',
  'damaged-key': 'the link’s last part, the sender’s key, is damaged: copy the whole link again',
};

const PHRASES: Phrases = {
  'no-command': () => 'say what to do: send, receive or hash',
  'unknown-command': ({ command }) => `unknown command ${JSON.stringify(command)}: use send, receive or hash`,
  'unknown-option': ({ option }) => `unknown option ${option}`,
  'option-of-other-command': ({ option, command, used }) =>
    command === 'send' && used === 'receive' ? `${option} is for send: receive uses the server in the link` : `${option} is for ${command}`,
  'missing-value': ({ option }) => `${option} needs a value`,
  'no-paths': () => 'send needs at least one file or folder, or --text',
  'no-files-to-hash': () => 'hash needs at least one file, or - for standard input',
  'text-too-long': () => `the text is too long: a share carries at most ${MAX_TEXT_BYTES / 1024} KiB of text (UTF-8)`,
  'no-link': () => 'receive needs the share link',
  'extra-argument': ({ argument }) => `receive takes one link; ${JSON.stringify(argument)} is one too many`,
  'bad-server': ({ server, from }) => `${from} ${JSON.stringify(server)} is not a server address like https://ferry.example or http://192.168.1.20:8080`,
  'bad-link': ({ reason }) => BAD_LINK[reason],
};

/**
 * Whether USAGE helps with `error`: it does when the command line has the wrong
 * shape. A link or a server address that is wrong has its own line say what is
 * wrong with it; the usage below would only bury that line.
 */
const SHOWS_USAGE = {
  'no-command': true,
  'unknown-command': true,
  'unknown-option': true,
  'option-of-other-command': true,
  'missing-value': true,
  'no-paths': true,
  'no-files-to-hash': true,
  'no-link': true,
  'extra-argument': true,
  'bad-server': false,
  'bad-link': false,
  'text-too-long': false,
} satisfies Record<UsageError['code'], boolean>;

export function showsUsage(error: UsageError): boolean {
  return SHOWS_USAGE[error.code];
}

/** One line saying what is wrong, for people; USAGE says what is right. */
export function usageErrorMessage(error: UsageError): string {
  return (PHRASES[error.code] as (error: UsageError) => string)(error);
}
