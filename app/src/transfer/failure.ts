/**
 * Why a transfer, a connection or the server failed, as data: a code and its details.
 * Errors a person should understand carry one (`failure`), sessions report one in
 * their snapshots and flows, and each front end says it in its own words: the web app
 * through a table the compiler checks for completeness (ui/i18n/errors.ts), logs,
 * tests and the terminal through FAILURES below. No front end reads meaning out of
 * English text, nor out of an error's class name.
 */

/** Why there is no network path, as far as this side can tell. */
export type RelayOutcome =
  /** The server offers no TURN relay: only direct paths were possible. */
  | 'none'
  /** The relay answered but refused the credentials (a wrong FERRY_TURN_SECRET). */
  | 'refused'
  /** The relay gave us no candidate: it could not be reached. */
  | 'unreachable'
  /** The relay gave us a candidate and still no pair worked. */
  | 'tried';

export type Failure =
  /** The Ferry server could not be reached at all. */
  | { code: 'server-unreachable' }
  /** The Ferry server answered with an HTTP error. */
  | { code: 'server-answered'; status: number }
  /** The broker holds as many people as it was set to (signal-server FERRY_MAX_PEERS). */
  | { code: 'server-busy' }
  /** The load balancer sent this broker identity to a process of another shard: the server's setup is wrong. */
  | { code: 'server-misrouted' }
  /** The broker connection failed or dropped (PeerJS's network, socket and server errors). */
  | { code: 'server-lost' }
  /** The broker refused a share's id because an earlier registration still holds it. */
  | { code: 'id-taken' }
  /** The broker failed in a way PeerJS names (`type`) and Ferry has no words of its own for. */
  | { code: 'broker-failed'; type: string }
  /** This browser (or runtime) has no WebRTC: no attempt can succeed, here or later. */
  | { code: 'no-webrtc' }
  /** The broker says nobody holds the sender's id: its page or terminal was closed. */
  | { code: 'sender-offline' }
  /** The sender's page never answered the offer: its device is asleep or its page frozen. */
  | { code: 'sender-silent' }
  /** The sender answered, but ICE found no pair that works (and whether a relay was there to try). */
  | { code: 'no-path'; relay: RelayOutcome }
  /** The channel opened but the connection could not be set up (details for bug reports). */
  | { code: 'setup-failed'; detail: string }
  /** This device has no room left; what was received is kept. */
  | { code: 'storage-full' }
  /** The folder to receive into is not safe to write into (the terminal: a link planted in it); the detail names what to remove. */
  | { code: 'unsafe-folder'; detail: string }
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

/** What every front end may need to know of one code, beside its own words for it. */
interface FailureFacts<F extends Failure> {
  /** One plain English line: for logs, tests and a terminal, not for the web app's screens. */
  english: (failure: F) => string;
  /**
   * Whether trying again may go differently. Not when this device itself cannot
   * connect: a receiving page then offers no Try again.
   */
  retryCanHelp: boolean;
  /**
   * Whether the sender may come back by itself: its page was closed, or its device is
   * asleep. A receiving page then keeps trying, and connects the moment it is back.
   */
  senderMayReturn: boolean;
}

/** Most codes' facts: trying again may go differently, and nothing says the sender comes back by itself. */
const RETRY = { retryCanHelp: true, senderMayReturn: false } as const;

/** Every code's facts: adding a code to Failure does not compile until they are given here. */
const FAILURES: { [C in FailureCode]: FailureFacts<Extract<Failure, { code: C }>> } = {
  'server-unreachable': { ...RETRY, english: () => 'Cannot reach the Ferry server. Check your network connection.' },
  'server-answered': { ...RETRY, english: (f) => `The Ferry server answered ${f.status}.` },
  'server-busy': { ...RETRY, english: () => 'Ferry is busy, try again in a minute.' },
  'server-misrouted': {
    ...RETRY,
    english: () => 'The Ferry server sent this connection to the wrong place: its load balancer is set up wrong. Tell whoever runs this Ferry.',
  },
  'server-lost': { ...RETRY, english: () => 'Lost contact with the Ferry server. Check your network connection.' },
  'id-taken': { ...RETRY, english: () => 'This share’s id is already in use on the server.' },
  'broker-failed': { ...RETRY, english: (f) => `Connection failed (${f.type}).` },
  'no-webrtc': {
    retryCanHelp: false,
    senderMayReturn: false,
    english: () => 'This runtime cannot make direct connections: it has no WebRTC.',
  },
  'sender-offline': {
    retryCanHelp: true,
    senderMayReturn: true,
    english: () => 'The sender is not online: their Ferry page or terminal was closed.',
  },
  'sender-silent': {
    retryCanHelp: true,
    senderMayReturn: true,
    english: () => 'The sender did not answer: their device may be asleep, or their page in the background.',
  },
  'no-path': {
    ...RETRY,
    english: (f) =>
      f.relay === 'none'
        ? 'No network path to the sender, and the Ferry server offers no relay. Try the same network as the sender.'
        : f.relay === 'refused'
          ? 'No network path to the sender: the relay refused this server’s credentials.'
          : 'No network path to the sender, even through the relay.',
  },
  'setup-failed': { ...RETRY, english: (f) => `The connection to the sender could not be set up: ${f.detail}` },
  'storage-full': {
    ...RETRY,
    english: () => 'This device has no room left for the transfer. What was received is kept; free some space and try again.',
  },
  'unsafe-folder': { ...RETRY, english: (f) => f.detail },
  'sender-closed': { ...RETRY, english: () => 'The sender closed the connection.' },
  'sender-went-away': {
    ...RETRY,
    english: () => 'The sender went away before the transfer finished (the page was closed or the connection dropped).',
  },
  'no-file-list': { ...RETRY, english: () => 'The sender’s page answered but sent no list of files.' },
  'files-changed': { ...RETRY, english: (f) => `The sender’s files changed since you started: ${f.files.join(', ')}.` },
  'peer-stopped': { ...RETRY, english: (f) => `The ${f.by} stopped the transfer: ${f.words}` },
  'tampered-size': {
    ...RETRY,
    english: (f) =>
      `The connection was set up for messages of only ${f.bytes} bytes, which no browser does: ` +
      'the Ferry server or the network may have tampered with it. Nothing was sent.',
  },
  impostor: {
    ...RETRY,
    english: () =>
      'Someone other than the sender answered this link, so nothing was taken from them. The sender’s page may be closed while someone else who has the link poses as it.',
  },
  'not-proven': { ...RETRY, english: (f) => `The other side could not prove it holds this link: ${f.detail}.` },
  'other-version': {
    ...RETRY,
    english: (f) => `The other side speaks protocol version ${f.theirs}; this Ferry speaks ${f.ours}. Reload both pages.`,
  },
  integrity: { ...RETRY, english: (f) => `A block of ${f.file} failed verification twice: it does not match the hash the sender proved for it.` },
  'text-too-long': {
    ...RETRY,
    english: (f) => `The text is too long: a share carries at most ${f.maxBytes / 1024} KiB of text (UTF-8).`,
  },
  protocol: { ...RETRY, english: (f) => f.detail },
  unexpected: { ...RETRY, english: (f) => f.detail },
};

/** The facts of `failure`'s code. */
function factsOf(failure: Failure): FailureFacts<Failure> {
  return FAILURES[failure.code] as FailureFacts<Failure>;
}

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
  return factsOf(failure).english(failure);
}

/** Whether trying again may go differently: not when this device itself cannot connect. */
export function retryCanHelp(failure: Failure): boolean {
  return factsOf(failure).retryCanHelp;
}

/** Whether the sender may come back by itself (its page was closed, its device asleep): worth waiting for. */
export function senderMayReturn(failure: Failure): boolean {
  return factsOf(failure).senderMayReturn;
}
