/**
 * Why a transfer, a connection or the server failed, as data: a code and its details.
 * Errors a person should understand carry one (`failure`), sessions report one in
 * their snapshots, and each front end says it in its own words: the web app through
 * a table the compiler checks for completeness (ui/i18n/errors.ts), logs and tests
 * through `failureMessage`. No front end reads meaning out of English text.
 */
export type Failure =
  /** The Ferry server could not be reached at all. */
  | { code: 'server-unreachable' }
  /** The Ferry server answered with an HTTP error. */
  | { code: 'server-answered'; status: number }
  /** This device has no room left; what was received is kept. */
  | { code: 'storage-full' }
  /** The sender hung up before any file moved. */
  | { code: 'sender-closed' }
  /** The sender went away in the middle of the transfer (page closed, network gone). */
  | { code: 'sender-went-away' }
  /** The sender proved the link and then sent no list of files. */
  | { code: 'no-file-list' }
  /** The sender's files are not those this transfer began with. */
  | { code: 'files-changed'; files: readonly string[] }
  /** The other side stopped, in its own words (cleaned by peerWords: quote, never trust). */
  | { code: 'peer-stopped'; by: 'sender' | 'receiver'; words: string }
  /** The connection was negotiated for messages too small to carry Ferry. */
  | { code: 'tampered-size'; bytes: number }
  /** Someone who holds the link answered it, but not its sender. */
  | { code: 'impostor' }
  /** The other side could not prove it holds this link; the detail says how, for logs. */
  | { code: 'not-proven'; detail: string }
  /** The other side runs another version of Ferry's protocol. */
  | { code: 'other-version'; theirs: number; ours: number }
  /** A file failed its SHA-256 check twice. */
  | { code: 'integrity'; file: string }
  /** The other side broke the protocol; the detail is for bug reports. */
  | { code: 'protocol'; detail: string }
  /** A text to share is longer than a share carries (MAX_TEXT_BYTES of UTF-8). */
  | { code: 'text-too-long'; maxBytes: number }
  /** Anything else: a bug, or the browser failing in a way nobody foresaw. */
  | { code: 'unexpected'; detail: string };

export type FailureCode = Failure['code'];

/** An error that carries its failure. */
export class FailureError extends Error {
  override name = 'FailureError';

  constructor(readonly failure: Failure) {
    super(failureMessage(failure));
  }
}

/** The failure an error carries, if it carries one. */
export function carriedFailure(error: unknown): Failure | null {
  const failure = (error as { failure?: unknown } | null | undefined)?.failure;
  return typeof failure === 'object' && failure !== null && typeof (failure as { code?: unknown }).code === 'string' ? (failure as Failure) : null;
}

/** The failure of any thrown value: the one it carries, or an unexpected one with its message. */
export function failureOf(error: unknown): Failure {
  return carriedFailure(error) ?? { code: 'unexpected', detail: error instanceof Error ? error.message : String(error) };
}

/** One plain English line for a failure: for logs, tests and a terminal, not for the web app's screens. */
export function failureMessage(failure: Failure): string {
  switch (failure.code) {
    case 'server-unreachable':
      return 'Cannot reach the Ferry server. Check your network connection.';
    case 'server-answered':
      return `The Ferry server answered ${failure.status}.`;
    case 'storage-full':
      return 'This device has no room left for the transfer. What was received is kept; free some space and try again.';
    case 'sender-closed':
      return 'The sender closed the connection.';
    case 'sender-went-away':
      return 'The sender went away before the transfer finished (the page was closed or the connection dropped).';
    case 'no-file-list':
      return 'The sender’s page answered but sent no list of files.';
    case 'files-changed':
      return `The sender’s files changed since you started: ${failure.files.join(', ')}.`;
    case 'peer-stopped':
      return `The ${failure.by} stopped the transfer: ${failure.words}`;
    case 'tampered-size':
      return (
        `The connection was set up for messages of only ${failure.bytes} bytes, which no browser does: ` +
        'the Ferry server or the network may have tampered with it. Nothing was sent.'
      );
    case 'impostor':
      return 'Someone other than the sender answered this link, so nothing was taken from them. The sender’s page may be closed while someone else who has the link poses as it.';
    case 'not-proven':
      return `The other side could not prove it holds this link: ${failure.detail}.`;
    case 'other-version':
      return `The other side speaks protocol version ${failure.theirs}; this Ferry speaks ${failure.ours}. Reload both pages.`;
    case 'integrity':
      return `${failure.file} failed verification: its SHA-256 does not match the sender’s.`;
    case 'text-too-long':
      return `The text is too long: a share carries at most ${failure.maxBytes / 1024} KiB of text (UTF-8).`;
    case 'protocol':
    case 'unexpected':
      return failure.detail;
  }
}
