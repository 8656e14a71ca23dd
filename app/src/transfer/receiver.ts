/**
 * The receiving side of one connection: checks the sender's signature, proves the
 * secret, reads the manifest, and on `download()` asks for whatever its store lacks,
 * a few MiB at a time, in whole blocks. It checks that bytes arrive in order and within
 * what it asked for, and stores a block only once its SHA-256 matches the hash the
 * sender proved belongs to the file's root (block-tree.ts); a block that does not
 * match is fetched once more, alone, before the transfer fails. A resumed transfer
 * holds the sender to the files and roots it began with (pins.ts), and trusts what it
 * stored before: nothing is stored unchecked.
 *
 * Asking in windows keeps both sides honest about memory and loss: the sender never
 * runs more than a window ahead of what is stored, so a slow disk cannot make the
 * page buffer without bound, and a dropped connection costs at most a window.
 *
 * With much to fetch from a sender that takes them, it opens lanes (lanes.ts): each
 * lane has a window of its own, answered in order on it, and every block is checked
 * alone wherever it came from.
 */
import { passwordKey, provePassword, sameBytes, type Fingerprints } from './auth.ts';
import type { Channel, Lane, LaneMaker, LaneOffer } from './channel.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import { cleanDevice } from './device.ts';
import { AbortedError, ProtocolError } from './errors.ts';
import { failureMessage, failureOf, type Failure } from './failure.ts';
import type { FlowLimits } from './flow.ts';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { BLOCK_SIZE, blockCount, rootOfOneBlock, blockDigest, verifyBlock, type Digest } from './block-tree.ts';
import { BLOCK_HEADER_BYTES, DATA_HEADER_BYTES, MAX_PROOF_HASHES } from './frames.ts';
import type { BlockMessage, ControlMessage, EndReason, FileDescription, FileRange, Message, WholeFile } from './messages.ts';
import { AskPlan, AskWindow, MAX_ASKED } from './ask-window.ts';
import { LANE_OPEN_TIMEOUT_MS, LANES_FROM_BYTES, MAX_LANES } from './lanes.ts';
import { asError, MESSAGE_CAP, PeerLink, PeerReportedError, VersionError, type InboxLimits } from './peer-link.ts';
import { changedFiles, ManifestChangedError, newPins, textChanged, textLabel } from './pins.ts';
import { RateMeter, type Progress } from './progress.ts';
import { blockGaps, coveredBytes } from './ranges.ts';
import type { ReceiveStore } from './store.ts';
import { checkLegal, type ReceiverState } from './receiver-states.ts';
import { Throttle } from './throttle.ts';
import { sample, since, span, waited } from './trace.ts';

export type { ReceiverState } from './receiver-states.ts';
/** 'failed': a block of it did not match its hash, and is being fetched again. */
export type FileOutcome = 'pending' | 'receiving' | 'verified' | 'failed';

export interface ReceiverSnapshot {
  state: ReceiverState;
  /** The lanes the transfer runs on: 1, or more once further connections to the sender are open (lanes.ts). */
  lanes: number;
  /** The sender's manifest, once it has arrived. */
  files: readonly FileDescription[];
  outcomes: readonly FileOutcome[];
  /** Each file's root (block-tree.ts, hex) as far as the sender has said it; null: not yet. */
  roots: readonly (string | null)[];
  progress: Progress;
  /** Share of the bytes already stored when this session began, if any (0–1). */
  resumedAt: number | null;
  /** How the sender describes its device, with its list of files (self-reported, cleaned), if it did. */
  senderDevice: string | null;
  /** The text the sender shares beside its files (or alone), once the manifest has come; null: none. */
  text: string | null;
  /** At the password gate: what the sender said about our tries. */
  gate: PasswordGate | null;
  /** Why the session failed (state 'error'). */
  failure: Failure | null;
  /** The failure in plain English, for logs and tests (failureMessage). */
  error: string | null;
  /**
   * The session ended because the connection failed — it dropped, or went wrong
   * while still being set up — rather than because of what the transfer carried.
   * Worth dialling again; a wrong secret or a damaged file is not.
   */
  disconnected: boolean;
  /**
   * Why the sender ended the link, in its own signed session: it stopped sharing, the
   * link expired, or it declined this receiver. Final: dialling again changes nothing.
   */
  ended: EndReason | null;
  /**
   * The session stopped because the sender's files are not those this transfer began
   * with: the names of those that changed. Only the person can say whether to start over.
   */
  filesChanged: readonly string[] | null;
}

export interface PasswordGate {
  /** After a wrong password: how many more may be tried now. */
  triesLeft: number | null;
  /** While wrong passwords have us (or everyone) locked out: how long, from when the sender said so. */
  retryInMs: number | null;
  /** A password was sent and its answer has not come. */
  checking: boolean;
}

export interface ReceiverOptions {
  channel: Channel;
  maxMessageSize: number;
  fingerprints: Fingerprints;
  /** The link's secret, which we prove. */
  secret: string;
  /** The link's sender key: only a peer that signs for it is the sender. */
  senderKey: string;
  /**
   * This transfer's private key (auth.ts newReceiverKey), kept with it across
   * reconnections and reloads: the sender knows us again by its public half, which we
   * tell only once it has proved itself, and lets us past what we passed before.
   */
  receiverKey?: string;
  /** How we describe our browser and system to the sender (device.ts). */
  device?: string | null;
  /**
   * The store for this manifest: empty for a new transfer, partly filled for a resumed
   * one, whose `files` are those it began with (the session compares them).
   */
  openStore: (files: readonly FileDescription[], text: string | null) => Promise<ReceiveStore>;
  /**
   * The text this transfer began with (null: none), when it began earlier: the sender
   * is held to it as to the files. Undefined: a new transfer, which takes the sender's.
   */
  pinnedText?: string | null;
  /** Bytes asked for and not yet stored, at most. */
  window?: number;
  /**
   * Hang up (and let the caller reconnect) when the manifest, once the sender has
   * proved the secret, or asked-for data stops coming this long.
   */
  stallTimeoutMs?: number;
  flow?: FlowLimits;
  helloTimeoutMs?: number;
  /** What the speed and time left are measured by, and every wait timed. */
  clock?: Clock;
  /** SHA-256 for checking blocks; WebCrypto's unless given. */
  digest?: Digest;
  /** Makes further connections to the sender (lanes.ts); none: this connection only. */
  lanes?: LaneMaker;
  onchange?: (snapshot: ReceiverSnapshot) => void;
}

/** A block the sender proved and is sending: its bytes are gathered until it is whole, then checked. */
interface IncomingBlock {
  file: number;
  start: number;
  end: number;
  /** Its SHA-256, proven against the file's root. */
  hash: Uint8Array;
  /** Its bytes so far; null until the first arrive (a block that comes in one frame is never copied). */
  bytes: Uint8Array | null;
  filled: number;
}

/** What a sender sends on lanes besides its first: the blocks of files and what frames them. */
const ON_LANES = new Set<Message['type']>(['root', 'block', 'data', 'files', 'file-end']);

/** Small enough that a drop or reload refetches little, big enough to keep the link busy. */
export const DEFAULT_WINDOW = 3 * 1024 * 1024;
const STALL_TIMEOUT_MS = 20_000;
const EMIT_INTERVAL_MS = 100;
/** A block (or a file sent whole) is fetched at most this many times before the transfer fails. */
const FETCH_ATTEMPTS = 2;
/**
 * An honest sender fills each data frame up to the link's message size, which browsers
 * put at 64 KiB or more; we count on a quarter of that.
 */
const MIN_DATA_FRAME = 16 * 1024;
/**
 * A file-end or root frame: its code and JSON body with a file index and a root in hex.
 * It is also more than what a file sent whole adds to a FILES frame (40 bytes).
 */
const FILE_END_BYTES = 128;
/** A BLOCK frame with the longest proof. */
const BLOCK_FRAME_BYTES = BLOCK_HEADER_BYTES + MAX_PROOF_HASHES * 32;
/** An error frame: MAX_ERROR_LENGTH characters of JSON, with room for escapes. */
const ERROR_FRAME_BYTES = 8 * 1024;

/**
 * The most an honest sender can have sent that we have not handled yet. It sends only
 * what we asked for: at most a window of data (and a block more, as windows are cut at
 * block boundaries), each block a BLOCK frame and then full DATA frames but for its
 * last, and a root and a file-end for each of at most MAX_ASKED ranges (or a FILES
 * frame, no larger, in place of the data and file-end of whole files); then perhaps an
 * error. Before that, one frame of anything (a manifest part) is the most it has in flight.
 */
export function inboxLimits(window: number, maxMessageSize: number): InboxLimits {
  const asked = window + BLOCK_SIZE;
  const frame = Math.min(MIN_DATA_FRAME, maxMessageSize) - DATA_HEADER_BYTES;
  const blocks = Math.ceil(asked / BLOCK_SIZE) + MAX_ASKED;
  const dataFrames = Math.ceil(asked / frame) + blocks;
  return {
    messages: dataFrames + blocks + 2 * MAX_ASKED + 2,
    bytes:
      asked + dataFrames * DATA_HEADER_BYTES + blocks * BLOCK_FRAME_BYTES + 2 * MAX_ASKED * FILE_END_BYTES + MESSAGE_CAP + ERROR_FRAME_BYTES,
  };
}

export class ReceiverSession {
  readonly #options: ReceiverOptions;
  readonly #link: PeerLink;
  readonly #clock: Clock;
  readonly #windowSize: number;
  /** What is still to ask for, taken by the windows of every lane. */
  readonly #plan = new AskPlan();
  /** Each open lane's window, by lane number (0: this connection's own). */
  readonly #windows = new Map<number, AskWindow>();
  /** Lanes offered whose answer has not come, by number. */
  readonly #offers = new Map<number, LaneOffer>();
  /**
   * Lanes offered (or being made ready to offer) that have not opened, nor been given
   * up: how to stop waiting for each (a timer left running would keep a terminal's
   * process alive after the transfer).
   */
  readonly #opening = new Map<number, () => void>();
  /** How many lanes the sender takes (the manifest says), this connection's included. */
  #senderLanes = 1;
  #state: ReceiverState = 'connecting';
  #failure: Failure | null = null;
  #files: readonly FileDescription[] = [];
  #store: ReceiveStore | null = null;
  /** Updated in place; snapshots copy it (they are throttled, per-file updates are not). */
  #outcomes: FileOutcome[] = [];
  readonly #digest: Digest;
  /** Each file's root, once known: from the manifest, the store's pin, or the sender's root message. */
  #roots: (Uint8Array | null)[] = [];
  /** The block arriving now on each lane. */
  readonly #blocks: (IncomingBlock | null)[] = [];
  /** Bytes of each file still to store. */
  #missing: number[] = [];
  /** Files whose end came while a block of theirs was being fetched again: verified once it is stored. */
  readonly #endedEarly = new Set<number>();
  /** Times each block (file:index) was fetched and did not match. */
  readonly #attempts = new Map<string, number>();
  #stored = 0;
  #total = 0;
  #resumedAt: number | null = null;
  #senderDevice: string | null = null;
  #text: string | null = null;
  #gate: PasswordGate | null = null;
  #disconnected = false;
  #filesChanged: readonly string[] | null = null;
  #endReason: EndReason | null = null;
  #meter = new RateMeter(0);
  #progress: Progress = { bytes: 0, total: 0, rate: 0, eta: null };
  /** Snapshots are told at most every EMIT_INTERVAL_MS, but for state changes. */
  readonly #changes: Throttle;
  #stallTimer: (() => void) | undefined;
  /** Set from the sender's proof until its manifest arrives. */
  #manifestTimer: (() => void) | undefined;

  constructor(options: ReceiverOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#digest = options.digest ?? blockDigest;
    const window = (this.#windowSize = options.window ?? DEFAULT_WINDOW);
    this.#windows.set(0, new AskWindow(window, this.#plan));
    this.#changes = new Throttle(EMIT_INTERVAL_MS, this.#clock, () => this.#options.onchange?.(this.snapshot));
    this.#link = new PeerLink(
      {
        ...options,
        identity: { role: 'receiver', secret: options.secret, senderKey: options.senderKey },
        inbox: inboxLimits(window, options.maxMessageSize),
      },
      {
        authenticated: () => this.#awaitManifest(),
        // A manifest of many files comes in many frames: each one shows the sender is there.
        messageArrived: () => {
          if (this.#manifestTimer !== undefined) this.#awaitManifest();
        },
        message: (message, lane) => this.#handle(message, lane),
        laneClosed: (lane) => this.#laneClosed(lane),
        closed: (error) => this.#linkClosed(error),
      },
    );
  }

  /** (Re)starts the wait for the manifest: a sender that proves the secret and goes quiet is hung up on. */
  #awaitManifest(): void {
    this.#manifestTimer?.();
    this.#manifestTimer = this.#clock.after(this.#options.stallTimeoutMs ?? STALL_TIMEOUT_MS, () => {
      this.#link.fail(new SilentSenderError('the sender proved the link but sent no list of files'));
    });
  }

  start(): Promise<void> {
    return this.#link.start();
  }

  close(): void {
    this.#link.close();
  }

  get snapshot(): ReceiverSnapshot {
    return {
      state: this.#state,
      lanes: this.#windows.size,
      files: this.#files,
      outcomes: [...this.#outcomes],
      roots: this.#files.map((file, index) => {
        const root = this.#roots[index];
        return root ? bytesToHex(root) : (file.root ?? null);
      }),
      progress: this.#progress,
      resumedAt: this.#resumedAt,
      senderDevice: this.#senderDevice,
      text: this.#text,
      gate: this.#gate,
      ended: this.#endReason,
      failure: this.#failure,
      error: this.#failure && failureMessage(this.#failure),
      disconnected: this.#disconnected,
      filesChanged: this.#filesChanged,
    };
  }

  /** Proves to the sender, on this connection, that the person knows the share's password. */
  async password(password: string): Promise<void> {
    if (this.#state !== 'password' || !this.#gate) throw new Error(`no password was asked for (${this.#state})`);
    // At once, before the hashing: what the sender said last no longer stands.
    this.#gate = { ...this.#gate, checking: true };
    this.#emit(true);
    const key = await passwordKey(this.#options.secret, password);
    const proof = await provePassword(key, this.#options.fingerprints);
    if (this.#state !== 'password') return;
    // The sender answers at once, with the files or another gate: silence now is a dead connection.
    this.#awaitManifest();
    await this.#link.send({ type: 'password', proof });
  }

  /** Asks for every block the store lacks, and for the end of each unverified file. */
  async download(): Promise<void> {
    const store = this.#store;
    if (this.#state !== 'waiting' || !store) throw new Error(`cannot start a download while ${this.#state}`);
    this.#plan.plan(this.#files.flatMap((file, index) => (store.isVerified(index) ? [] : this.#planFile(index, file.size))));
    this.#stored = this.#total - this.#missing.reduce((sum, bytes) => sum + bytes, 0);
    this.#meter = new RateMeter(this.#total);
    this.#progress = this.#meter.progress(this.#stored, this.#clock.now());
    this.#set('transferring');
    try {
      // Kept before anything is asked for, so no byte arrives ahead of the root it must match.
      await store.pin(newPins(store, this.#files));
      this.#roots = this.#files.map((file, index) => {
        const root = store.pinned(index) ?? file.root;
        return root === undefined ? null : hexToBytes(root);
      });
    } catch (error) {
      return this.#link.fail(asError(error));
    }
    await this.#finishOrAsk();
  }

  /**
   * Offers the sender lanes, as many as it takes, when there is enough to fetch for
   * them to help: as soon as the files are listed, so that they are likely open by
   * the time the person presses Download. Each opens in the background; the transfer
   * goes on meanwhile, and without any lane that does not open. The first connection
   * asks only for its share of the window meanwhile: the sender's answers come on it,
   * behind what it is sending.
   */
  #openLanes(): void {
    const maker = this.#options.lanes;
    const left = this.#total - this.#stored;
    if (!maker || left < LANES_FROM_BYTES) return;
    for (let lane = 1; lane < Math.min(this.#senderLanes, MAX_LANES); lane++) {
      // An answer that never comes, or a lane that never opens, is let go.
      this.#opening.set(lane, this.#clock.after(LANE_OPEN_TIMEOUT_MS, () => this.#giveUp(lane)));
      void this.#offerLane(maker, lane);
    }
    this.#shareWindow();
  }

  /** Whether lanes may still open: the files are listed and not all here. */
  get #lanesWelcome(): boolean {
    return (this.#state === 'waiting' || this.#state === 'transferring') && !this.#link.signal.aborted;
  }

  async #offerLane(maker: LaneMaker, lane: number): Promise<void> {
    let offer: LaneOffer;
    try {
      offer = await maker.offer();
    } catch {
      return this.#giveUp(lane);
    }
    if (!this.#lanesWelcome) {
      offer.close();
      return this.#giveUp(lane);
    }
    this.#offers.set(lane, offer);
    this.#link.signal.addEventListener('abort', () => this.#giveUp(lane), { once: true });
    try {
      await this.#link.send({ type: 'lane-offer', lane, sdp: offer.sdp });
    } catch {
      this.#giveUp(lane);
    }
  }

  /** A lane that has not opened is given up: its offer closed, its share of the window back to the others. */
  #giveUp(lane: number): void {
    if (!this.#stopOpening(lane)) return;
    this.#offers.get(lane)?.close();
    this.#offers.delete(lane);
    this.#shareWindow();
    if (this.#state === 'transferring') this.#ask().catch((error: unknown) => this.#link.fail(asError(error)));
  }

  /** The sender's answer to our offer of `lane`: the lane opens in the background, and joins once it has. */
  #laneAnswered(lane: number, sdp: string): void {
    const offer = this.#offers.get(lane);
    if (!offer) throw new ProtocolError(`an answer for lane ${lane}, which was not offered`);
    this.#offers.delete(lane);
    if (!this.#lanesWelcome) {
      offer.close();
      return this.#giveUp(lane);
    }
    offer.accept(sdp).then(
      (opened) => this.#laneOpened(lane, opened),
      () => {
        offer.close();
        this.#giveUp(lane);
      },
    );
  }

  async #laneOpened(lane: number, opened: Lane): Promise<void> {
    // Given up on already (timed out, or the link ended) it is closed; the link refuses one it cannot take.
    if (!this.#opening.has(lane) || !this.#lanesWelcome || !this.#link.addLane(lane, opened)) {
      opened.close();
      return this.#giveUp(lane);
    }
    this.#stopOpening(lane);
    this.#windows.set(lane, new AskWindow(this.#windowSize, this.#plan));
    this.#shareWindow();
    this.#emit(true);
    if (this.#state !== 'transferring') return;
    try {
      await this.#ask();
    } catch (error) {
      this.#link.fail(asError(error));
    }
  }

  /** Stops waiting for `lane` to open; says whether it was still awaited. */
  #stopOpening(lane: number): boolean {
    const stop = this.#opening.get(lane);
    if (!stop) return false;
    stop();
    this.#opening.delete(lane);
    return true;
  }

  /**
   * One window's worth, shared by the lanes open and opening: what a dropped
   * connection wastes, and what the sender holds for us, stay as with one lane.
   */
  #shareWindow(): void {
    const share = Math.max(BLOCK_SIZE, Math.floor(this.#windowSize / (this.#windows.size + this.#opening.size)));
    for (const window of this.#windows.values()) window.resize(share);
  }

  /**
   * A lane closed under the transfer (its path failed, or the sender is hanging up):
   * what it was asked and did not bring is asked of the others first, its part-block
   * let go. The news of a sender that hangs up comes on the first connection, which
   * ends the transfer as it says.
   */
  async #laneClosed(lane: number): Promise<void> {
    const window = this.#windows.get(lane);
    // Done, the sender hangs up: the lanes it carried the transfer on stay counted.
    if (!window || !this.#lanesWelcome) return;
    this.#windows.delete(lane);
    this.#blocks[lane] = null;
    this.#plan.first(window.unanswered());
    this.#shareWindow();
    this.#emit(true);
    if (this.#state === 'transferring') await this.#finishOrAsk();
  }

  /**
   * The ranges to ask for to complete one file, in whole blocks; an empty one at its end
   * asks for just its end, for a file whose every block is stored but not yet settled.
   */
  #planFile(file: number, size: number): FileRange[] {
    const gaps = blockGaps(this.#store!.ranges(file), size, BLOCK_SIZE).map(([start, end]) => ({ file, start, end }));
    this.#missing[file] = gaps.reduce((sum, { start, end }) => sum + end - start, 0);
    return gaps.length > 0 && gaps.at(-1)!.end === size ? gaps : [...gaps, { file, start: size, end: size }];
  }

  async #handle(message: Message, lane: number): Promise<void> {
    this.#restartStallTimer();
    checkLegal(this.#state, message);
    if (lane > 0 && !ON_LANES.has(message.type)) throw new ProtocolError(`${message.type} on lane ${lane}`);
    // What a sender never sends, checkLegal has refused already.
    switch (message.type) {
      case 'manifest':
        return this.#manifest(message.files, message.device, message.text ?? null, message.lanes ?? 1);
      case 'root':
        return this.#root(message.file, message.root);
      case 'block':
        return this.#blockAnnounced(message, lane);
      case 'data':
        return this.#data(message.file, message.offset, message.payload, lane);
      case 'files':
        return this.#wholeFiles(message.files, lane);
      case 'file-end':
        return this.#fileEnd(message.file, lane);
      case 'lane-answer':
        return this.#laneAnswered(message.lane, message.sdp);
      case 'gate':
        return this.#gated(message);
      case 'ended':
        return this.#linkEnded(message.reason);
    }
  }

  /**
   * The sender holds the files back until we pass its gate. There is no telling how
   * long a person takes to type or decide, so no timer runs meanwhile; a connection
   * that drops still closes, and ends the session.
   */
  #gated(gate: Extract<ControlMessage, { type: 'gate' }>): void {
    this.#manifestTimer?.();
    this.#manifestTimer = undefined;
    this.#gate = gate.need === 'password' ? { triesLeft: gate.triesLeft ?? null, retryInMs: gate.retryInMs ?? null, checking: false } : null;
    this.#set(gate.need);
  }

  async #manifest(files: FileDescription[], device: string | undefined, text: string | null, lanes: number): Promise<void> {
    this.#gate = null;
    this.#manifestTimer?.();
    this.#manifestTimer = undefined;
    const store = await this.#options.openStore(files, text);
    const changed = changedFiles(store, files);
    const { pinnedText } = this.#options;
    if (textChanged(pinnedText, text)) changed.push(textLabel(pinnedText ?? text!));
    // Before anything of the new files is stored or shown.
    if (changed.length > 0) throw new ManifestChangedError(changed);
    this.#store = store;
    this.#files = files;
    this.#senderLanes = lanes;
    this.#senderDevice = cleanDevice(device);
    this.#text = text;
    ({ outcomes: this.#outcomes, stored: this.#stored, total: this.#total } = storedSummary(files, store));
    this.#missing = files.map(() => 0);
    if (this.#stored > 0) this.#resumedAt = this.#total === 0 ? 1 : this.#stored / this.#total;
    this.#progress = { bytes: this.#stored, total: this.#total, rate: 0, eta: null };
    this.#set('waiting');
    this.#openLanes();
  }

  /** The root of a file the manifest came without: pinned, before any block of it is taken. */
  async #root(file: number, root: string): Promise<void> {
    const description = this.#files[file];
    if (!description) throw new ProtocolError(`root of file ${file}, which does not exist`);
    if (!this.#heldTo(file, root)) await this.#store!.pin([{ file, root }]);
    this.#roots[file] = hexToBytes(root);
  }

  /**
   * Throws unless `root` is the root this transfer knows for `file`, if it knows one:
   * another root is another file, never to be mixed with what is stored. Says whether
   * it is pinned already.
   */
  #heldTo(file: number, root: string): boolean {
    const known = this.#roots[file];
    const pinned = this.#store!.pinned(file);
    if ((known && bytesToHex(known) !== root) || (pinned !== null && pinned !== root)) throw new ManifestChangedError([this.#files[file]!.name]);
    return pinned !== null;
  }

  /** The sender proves the next block's hash against the file's root; its bytes follow. */
  async #blockAnnounced({ file, index, hash, proof }: BlockMessage, lane: number): Promise<void> {
    const asked = this.#windows.get(lane)!.next;
    const description = this.#files[file];
    if (!asked || !description || asked.file !== file || asked.at !== index * BLOCK_SIZE || asked.at >= asked.end) {
      throw new ProtocolError(`block ${index} of file ${file}, which is not the one expected next`);
    }
    if (this.#blocks[lane]) throw new ProtocolError(`block ${index} of ${description.name} before the one before it was whole`);
    const root = this.#roots[file];
    if (!root) throw new ProtocolError(`a block of ${description.name} before its root`);
    const hashing = since();
    const proven = verifyBlock(root, blockCount(description.size), index, hash, proof);
    span('hash', hashing);
    if (!proven) throw new ProtocolError(`block ${index} of ${description.name} does not belong to the file’s root`);
    const start = index * BLOCK_SIZE;
    this.#blocks[lane] = { file, start, end: Math.min(description.size, start + BLOCK_SIZE), hash: hash.slice(), bytes: null, filled: 0 };
  }

  async #data(file: number, offset: number, payload: Uint8Array, lane: number): Promise<void> {
    const window = this.#windows.get(lane)!;
    const asked = window.next;
    if (!asked || asked.file !== file || asked.at === asked.end) {
      throw new ProtocolError(`data for file ${file}, which is not the one expected next`);
    }
    if (offset !== asked.at) throw new ProtocolError(`data at offset ${offset}; expected ${asked.at}`);
    if (offset + payload.length > asked.end) throw new ProtocolError(`data past the end of what was asked for file ${file}`);
    const block = this.#blocks[lane];
    if (!block || block.file !== file) throw new ProtocolError(`data for file ${file} without its block's proof`);
    if (offset + payload.length > block.end) throw new ProtocolError(`data past the end of block ${block.start / BLOCK_SIZE} of file ${file}`);
    this.#mark(file, 'receiving');
    const length = payload.length;
    const blockBytes = block.end - block.start;
    if (block.filled === 0 && length === blockBytes) {
      block.bytes = payload;
    } else {
      block.bytes ??= new Uint8Array(blockBytes);
      block.bytes.set(payload, block.filled);
    }
    block.filled += length;
    asked.at += length;
    window.arrived(length);
    sample('asked', window.askedBytes);
    // A range that ends at the file's end stays first until the file's end arrives.
    if (asked.at === asked.end && asked.end !== this.#files[file]!.size) window.answered();
    if (block.filled === blockBytes) {
      this.#blocks[lane] = null;
      await this.#blockArrived(block);
    }
    this.#progress = this.#meter.progress(this.#stored, this.#clock.now());
    this.#emit(false);
    // A block fetched again may be the last thing the transfer waited for (its file's end came before it).
    await this.#finishOrAsk();
  }

  /** A whole block: stored if it matches its proven hash, else fetched again by itself. */
  async #blockArrived({ file, start, end, hash, bytes }: IncomingBlock): Promise<void> {
    const hashing = since();
    const ok = sameBytes(await this.#digest(bytes!), hash);
    span('hash', hashing);
    if (!ok) {
      this.#fetchAgain(file, start, end);
      return;
    }
    // The store may take ownership of the block's buffer (a worker transfer detaches it).
    await waited('store', this.#store!.write(file, start, bytes!));
    this.#stored += end - start;
    this.#missing[file]! -= end - start;
    // A range that ends the file (a block fetched again, or the file's last on another lane) is followed by the file's end: the file waits for that.
    const size = this.#files[file]!.size;
    const endFollows = [...this.#windows.values()].some((window) => window.awaitsEnd(file, size));
    if (this.#missing[file] === 0 && !endFollows && this.#endedEarly.delete(file)) await this.#verified(file);
  }

  /**
   * Bytes of `file` that did not match their hash (damaged on the way, or read wrong):
   * asked for again before anything else, held to the same hash, up to FETCH_ATTEMPTS.
   */
  #fetchAgain(file: number, start: number, end: number): void {
    const key = `${file}:${start}`;
    const attempts = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempts);
    this.#mark(file, 'failed');
    if (attempts >= FETCH_ATTEMPTS) throw new IntegrityError(this.#files[file]!.name);
    this.#plan.first([{ file, start, end }]);
  }

  async #fileEnd(file: number, lane: number): Promise<void> {
    const window = this.#windows.get(lane)!;
    const asked = window.next;
    const description = this.#files[file];
    if (!asked || !description || asked.file !== file || asked.end !== description.size) {
      throw new ProtocolError(`end of file ${file}, which was not asked for`);
    }
    if (asked.at !== asked.end) throw new ProtocolError(`${description.name} ended after ${asked.at} of ${description.size} bytes`);
    if (!this.#roots[file]) throw new ProtocolError(`end of ${description.name} before its root`);
    window.answered();
    // Every block was checked as it came; one fetched again is still to come.
    if (this.#missing[file] === 0) {
      this.#endedEarly.delete(file);
      await this.#verified(file);
    } else {
      this.#endedEarly.add(file);
    }
    await this.#finishOrAsk();
  }

  /**
   * Every block of `file` is stored, each checked against its root: the root is its
   * verified mark, recorded with the batch that holds the file's last bytes rather than
   * in a disk round trip of its own per file.
   */
  async #verified(file: number): Promise<void> {
    await this.#store!.settle(file, bytesToHex(this.#roots[file]!));
    await this.#link.send({ type: 'receipt', verified: [file], failed: [] });
    this.#mark(file, 'verified');
  }

  /**
   * Files of at most one block that came whole (a FILES frame), each with its bytes'
   * SHA-256, from which its root follows: each is checked before a byte of it is
   * stored, stored with its verified mark, and all are acknowledged in one receipt. One
   * that does not match is asked for again.
   */
  async #wholeFiles(files: readonly WholeFile[], lane: number): Promise<void> {
    const window = this.#windows.get(lane)!;
    const verified: number[] = [];
    const failed: number[] = [];
    const store = this.#store!;
    for (const { file, hash, payload } of files) {
      const asked = window.next;
      const description = this.#files[file];
      if (!asked || !description || asked.file !== file || asked.start !== 0 || asked.at !== 0 || asked.end !== description.size) {
        throw new ProtocolError(`file ${file} whole, which was not asked for whole`);
      }
      if (description.size > BLOCK_SIZE) throw new ProtocolError(`${description.name} whole, though it is more than one block`);
      if (payload.length !== description.size) throw new ProtocolError(`${description.name} came with ${payload.length} of its ${description.size} bytes`);
      const root = bytesToHex(rootOfOneBlock(description.size, hash));
      const pinned = this.#heldTo(file, root);
      window.answered();
      window.arrived(payload.length);
      const hashing = since();
      const ok = sameBytes(await this.#digest(payload), hash);
      span('hash', hashing);
      if (!ok) {
        // Nothing of it was stored. Fetched again, it is held to this root: pinned first.
        if (!pinned) await store.pin([{ file, root }]);
        this.#roots[file] = hexToBytes(root);
        failed.push(file);
        this.#fetchAgain(file, 0, description.size);
        continue;
      }
      // A store may take ownership of the bytes' buffer, and this frame's buffer holds
      // the next files too: each gets its own.
      if (payload.length > 0) await waited('store', store.write(file, 0, files.length > 1 ? payload.slice() : payload));
      await store.settle(file, root);
      this.#stored += payload.length;
      this.#missing[file] = 0;
      verified.push(file);
      this.#mark(file, 'verified');
    }
    sample('asked', window.askedBytes);
    this.#progress = this.#meter.progress(this.#stored, this.#clock.now());
    this.#emit(false);
    await this.#link.send({ type: 'receipt', verified, failed });
    await this.#finishOrAsk();
  }

  async #finishOrAsk(): Promise<void> {
    if (this.#plan.empty && !this.#waiting && this.#outcomes.every((o) => o === 'verified')) {
      this.#stallTimer?.();
      // Not done until it is on disk: the last batch may still be committing, and may fail.
      await this.#store!.flush();
      this.#set('done');
      await this.#link.send({ type: 'done' });
      return;
    }
    await this.#ask();
  }

  /** Whether anything is asked for, on any lane, and not yet answered. */
  get #waiting(): boolean {
    for (const window of this.#windows.values()) if (window.waiting) return true;
    return false;
  }

  /**
   * Tops each lane's window up: asks for more once a third of it has been stored.
   * Lanes besides this connection's take only files whose root we know: a root the
   * sender still has to tell comes on the lane of the file's first block.
   */
  async #ask(): Promise<void> {
    for (const [lane, window] of this.#windows) {
      const batch = window.topUp(lane === 0 ? undefined : (file) => this.#roots[file] != null);
      if (batch.length === 0) continue;
      this.#restartStallTimer();
      sample('asked', window.askedBytes);
      await this.#link.send({ type: 'request', ranges: batch, stored: this.#stored, total: this.#total, ...(lane > 0 && { lane }) });
    }
  }

  /**
   * Restarts the stall watchdog while anything is asked for. A lid closed or a network
   * gone quiet may close nothing for minutes; silence is how we learn of it.
   */
  #restartStallTimer(): void {
    this.#stallTimer?.();
    if (!this.#waiting && this.#state !== 'transferring') return;
    this.#stallTimer = this.#clock.after(this.#options.stallTimeoutMs ?? STALL_TIMEOUT_MS, () => {
      if (this.#waiting) this.#link.fail(new AbortedError('nothing arrived from the sender for a while'));
    });
  }

  /**
   * The sender ended the link. Only a sender that signed for the link gets this far
   * (PeerLink reads nothing before its proof), so it is believed: what was received is
   * committed and kept, and we hang up without calling again.
   */
  async #linkEnded(reason: EndReason): Promise<void> {
    this.#stallTimer?.();
    this.#manifestTimer?.();
    this.#manifestTimer = undefined;
    this.#endReason = reason;
    this.#plan.plan([]);
    // Nothing else will arrive: the last batch is all there is to keep. (A full disk
    // loses at most that batch; the news matters more.)
    await this.#store?.flush().catch(() => {});
    this.#link.close();
  }

  #linkClosed(error: Error | null): void {
    this.#stallTimer?.();
    this.#manifestTimer?.();
    if (this.#endReason) return this.#set('ended');
    if (this.#state === 'done' || !error) return;
    this.#disconnected =
      error instanceof AbortedError ||
      error instanceof SilentSenderError ||
      // Garbled while connecting is worth a redial; another version would be the same again.
      (this.#state === 'connecting' && error instanceof ProtocolError && !(error instanceof VersionError));
    if (error instanceof ManifestChangedError) this.#filesChanged = error.files;
    this.#failure = receiverFailure(error, this.#state);
    this.#set('error');
  }

  #mark(file: number, outcome: FileOutcome): void {
    if (this.#outcomes[file] === outcome) return;
    this.#outcomes[file] = outcome;
    // Throttled like progress: 10,000 tiny files must not mean 10,000 repaints.
    this.#emit(outcome === 'failed');
  }

  #set(state: ReceiverState): void {
    this.#state = state;
    this.#emit(true);
  }

  #emit(force: boolean): void {
    this.#changes.changed(force);
  }
}

/** What a store holds of `files`: each file's outcome so far, and the bytes stored of the total. */
export function storedSummary(
  files: readonly FileDescription[],
  store: Pick<ReceiveStore, 'ranges' | 'isVerified'>,
): { outcomes: FileOutcome[]; stored: number; total: number } {
  return {
    outcomes: files.map((_, index) => (store.isVerified(index) ? 'verified' : 'pending')),
    stored: files.reduce((sum, _, index) => sum + coveredBytes(store.ranges(index)), 0),
    total: files.reduce((sum, file) => sum + file.size, 0),
  };
}

/**
 * A transfer as this device holds it, read from storage without a connection: what a
 * receiver shows at once, whoever can be reached. Its state says what is final —
 * 'ended' when the sender ended the link on an earlier visit (`ended`), 'done' when
 * every file is here and verified — or 'connecting' while the rest is still to come.
 */
export function storedSnapshot(
  files: readonly FileDescription[],
  store: Pick<ReceiveStore, 'ranges' | 'isVerified' | 'pinned'>,
  ended: EndReason | null = null,
  senderDevice: string | null = null,
  text: string | null = null,
): ReceiverSnapshot {
  const { outcomes, stored, total } = storedSummary(files, store);
  const complete = outcomes.every((outcome) => outcome === 'verified');
  return {
    state: ended ? 'ended' : complete ? 'done' : 'connecting',
    lanes: 1,
    files,
    outcomes,
    roots: files.map((file, index) => store.pinned(index) ?? file.root ?? null),
    progress: { bytes: stored, total, rate: 0, eta: null },
    resumedAt: null,
    senderDevice,
    text,
    gate: null,
    failure: null,
    error: null,
    disconnected: false,
    ended,
    filesChanged: null,
  };
}

/** The sender proved the secret, then sent no manifest: as good as a dropped connection. */
export class SilentSenderError extends Error {
  override name = 'SilentSenderError';
  readonly failure: Failure = { code: 'no-file-list' };
}

/** Bytes of `file` did not match the hash the sender proved for them, twice. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';

  constructor(readonly file: string) {
    super(`${file} failed verification: a block of it did not match its hash twice`);
  }

  get failure(): Failure {
    return { code: 'integrity', file: this.file };
  }
}

/** Why the session ended, given the error and the state it ended in. */
function receiverFailure(error: Error, state: ReceiverState): Failure {
  // The sender's words are its own: quoted as its, never matched against ours.
  if (error instanceof PeerReportedError) return { code: 'peer-stopped', by: 'sender', words: error.message };
  if (error instanceof AbortedError) {
    const beforeFiles = state === 'connecting' || state === 'password' || state === 'approval' || state === 'waiting';
    return { code: beforeFiles ? 'sender-closed' : 'sender-went-away' };
  }
  return failureOf(error);
}
