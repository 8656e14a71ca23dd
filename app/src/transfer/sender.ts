/**
 * The sending side of one connection: proves it is the sender, holds the receiver at
 * the share's gate (password, approval) if it has one, sends the manifest, then
 * serves the byte ranges the receiver asks for, in order, each block with the proof
 * that it belongs to its file's root (block-tree.ts), until the receiver says it has
 * everything. The receiver asks a few MiB at a time, so a
 * dropped connection wastes little and a reconnection asks only for what is missing.
 * A receiver with much to fetch may open lanes (lanes.ts): the ranges it asks on a
 * lane are sent on that lane, in order, by a pump of the lane's own.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { BLOCK_SIZE, blockCount, blockDigest } from './block-tree.ts';
import { verifyPassword, type Fingerprints } from './auth.ts';
import type { Channel, LaneAnswer, LaneMaker } from './channel.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import { Delivery } from './delivery.ts';
import { cleanDevice } from './device.ts';
import { ProtocolError } from './errors.ts';
import { failureMessage, failureOf, type Failure } from './failure.ts';
import type { FileSource } from './file-source.ts';
import type { FlowLimits } from './flow.ts';
import { FileTrees } from './file-trees.ts';
import { MAX_LANES } from './lanes.ts';
import { allocateDataFrame, allocateFilesFrame, DATA_HEADER_BYTES, encodeBlock, filesFrameBytes, MAX_FILES_PER_FRAME } from './frames.ts';
import type { EndReason, FileDescription, FileRange, GateNeed, Message } from './messages.ts';
import { asError, PeerLink, PeerReportedError } from './peer-link.ts';
import { RateMeter, type Progress } from './progress.ts';
import { READ_BLOCK_BYTES, ReadAhead, SENDER_READ_BLOCKS } from './read-ahead.ts';
import type { ShareGate } from './share-gate.ts';
import { Throttle } from './throttle.ts';
import { sample, since, span, waited } from './trace.ts';

/**
 * 'password': the receiver proved the link and is asked for the share's password;
 * 'approval': it waits for the person sending to allow or decline it (allow()/decline());
 * 'ended': it was told the link ended, or that it was declined, and hung up on.
 */
export type SenderState = 'connecting' | 'password' | 'approval' | 'waiting' | 'transferring' | 'done' | 'error' | 'ended';

export interface SenderSnapshot {
  state: SenderState;
  /** The receiver's progress as it last reported it, plus what we sent since. */
  progress: Progress;
  /** File payload bytes put on the channel in this session. */
  sentBytes: number;
  filesConfirmed: number;
  /**
   * Who the receiver is: the public key it proved it holds on this connection, its own
   * for its transfer, so the same on every reconnection. Null for one that named none.
   */
  receiverKey: string | null;
  /** How the receiver describes its device (self-reported, cleaned: device.ts), if it did. */
  device: string | null;
  /**
   * In state 'approval': the receiver gave a password while the share is being guessed
   * at, which is checked once the person allows it (not by "allow all").
   */
  held: boolean;
  /** Why, in state 'ended': the link was stopped or expired, or this receiver declined, turned away or let go (EndReason). */
  ended: EndReason | null;
  /** Why the session failed (state 'error'). */
  failure: Failure | null;
  /** The failure in plain English, for logs and tests (failureMessage). */
  error: string | null;
}

export interface SenderOptions {
  channel: Channel;
  maxMessageSize: number;
  fingerprints: Fingerprints;
  /** The link's secret, which receivers prove. */
  secret: string;
  /** The private half of the link's sender key, which signs our proof. */
  signingKey: string;
  files: readonly FileSource[];
  /** A text shared beside the files (or alone), sent with the list of files; none: nothing. */
  text?: string | null;
  /** What receivers must do before the manifest; shared by all connections of one share. None: nothing. */
  gate?: ShareGate;
  /** Each file's block tree; shared by all connections of one share. */
  trees?: FileTrees;
  /** Answers a receiver's offers of further connections (lanes.ts); none: this connection only. */
  lanes?: LaneMaker;
  /**
   * What the receiver of this name (null: it gave none) verified over all its
   * connections, which this one adds to; none: this connection's alone.
   */
  delivery?: (receiverKey: string | null) => Delivery;
  flow?: FlowLimits;
  helloTimeoutMs?: number;
  /**
   * Asked once the receiver has proved the secret, before anything about the files:
   * a reason here (the link was stopped or has expired, the share is busy) is all the
   * receiver hears.
   */
  ended?: () => EndReason | null;
  /** Upper bound for one DATA message, below the link's own cap. */
  messageBytes?: number;
  /** How this device describes itself to receivers, with the list of files (device.ts); none: nothing. */
  device?: string | null;
  /** What the speed and time left are measured by, and every wait timed. */
  clock?: Clock;
  onchange?: (snapshot: SenderSnapshot) => void;
}

const EMIT_INTERVAL_MS = 100;
/**
 * Passwords a connection may send while it is locked out, each answered with how long
 * to wait; past this it is hung up on. An honest page sends one per press of a button.
 */
const LOCKED_OUT_TRIES = 3;

export class SenderSession {
  readonly #options: SenderOptions;
  readonly #link: PeerLink;
  readonly #trees: FileTrees;
  readonly #clock: Clock;
  #state: SenderState = 'connecting';
  #failure: Failure | null = null;
  #receiverKey: string | null = null;
  #device: string | null = null;
  /** What the receiver cleared on this connection. */
  readonly #cleared = new Set<GateNeed>();
  #lockedOutTries = 0;
  /** A password try held for the person sending to let through (the share is being guessed at). */
  #held: string | null = null;
  /** Each lane's requests, sent one after another (0: this connection's own). */
  readonly #pumps = new Map<number, Promise<void>>();
  /** Each lane the receiver offered, settled once it has joined the link or failed to open. */
  readonly #lanes = new Map<number, Promise<void>>();
  /** Our answers to the receiver's lanes: their connections close with this one. */
  readonly #answers = new Set<LaneAnswer>();
  /** Files whose root this receiver has from us: in the manifest, or told since. */
  readonly #rootTold = new Set<number>();
  /** What every lane sends is read ahead, in blocks the lanes share. */
  readonly #reader = new ReadAhead(READ_BLOCK_BYTES, SENDER_READ_BLOCKS);
  /** What this receiver verified, over its connections: its `done` counts only once it has everything. */
  #delivery = new Delivery();
  /** Files whose end we sent, awaiting the receiver's receipt. */
  #unconfirmed = new Set<number>();
  #filesConfirmed = 0;
  #meter = new RateMeter(0);
  #progress: Progress = { bytes: 0, total: 0, rate: 0, eta: null };
  #sentBytes = 0;
  /** Snapshots are told at most every EMIT_INTERVAL_MS, but for state changes; the last one always. */
  readonly #changes: Throttle;
  /** The receiver proved the secret: it may be told things, the end of the link included. */
  #proven = false;
  /** Set by end(): nothing more is sent but the news. */
  #ending: EndReason | null = null;
  /** When the pump last ran out of ranges to send (for the bench's timeline). */
  #idleSince = NaN;

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#trees = options.trees ?? new FileTrees();
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#changes = new Throttle(EMIT_INTERVAL_MS, this.#clock, () => this.#options.onchange?.(this.snapshot));
    this.#link = new PeerLink(
      { ...options, identity: { role: 'sender', secret: options.secret, signingKey: options.signingKey } },
      {
        authenticated: async (receiver, device) => {
          this.#receiverKey = receiver ?? null;
          this.#device = cleanDevice(device);
          if (options.delivery) this.#delivery = options.delivery(this.#receiverKey);
          // The receiver has proved the secret: from here on, end() tells it at once.
          this.#proven = true;
          const reason = this.#ending ?? options.ended?.() ?? null;
          if (reason) return this.#tellEnded(reason);
          await this.#proceed();
        },
        message: (message, lane) => this.#handle(message, lane),
        // What a closed lane was sending is the receiver's to ask for again, on another.
        laneClosed: () => {},
        closed: (error) => this.#linkClosed(error),
      },
    );
  }

  start(): Promise<void> {
    return this.#link.start();
  }

  /** Stops sending to this receiver. */
  close(): void {
    this.#link.close();
  }

  /**
   * The person allowed this receiver (waiting in 'approval'): it gets the list of
   * files, or, its password try held while someone is guessing, that try is checked.
   */
  async allow(): Promise<void> {
    if (this.#state !== 'approval') return;
    this.#clear('approval');
    const held = this.#held;
    this.#held = null;
    try {
      await (held === null ? this.#proceed() : this.#check(held));
    } catch (error) {
      this.#link.fail(asError(error));
    }
  }

  /** The person declined this receiver: it is told so, and hung up on. */
  decline(): Promise<void> {
    if (this.#state !== 'approval') return Promise.resolve();
    return this.end('declined');
  }

  /** The next gate the receiver must pass, or the manifest once there is none. */
  async #proceed(): Promise<void> {
    const gate = this.#options.gate;
    const need = gate?.need(this.#receiverKey, this.#cleared) ?? null;
    if (need === 'password') {
      const wait = gate!.guard.wait(this.#guardKey);
      await this.#link.send({ type: 'gate', need, ...(wait > 0 && { retryInMs: wait }) });
      return this.#set('password');
    }
    if (need === 'approval') {
      await this.#link.send({ type: 'gate', need });
      return this.#set('approval');
    }
    // With each root we already know: every block is checked against it, and a receiver that comes back holds us to it.
    const files = this.#options.files.map((file, index) => {
      const root = this.#trees.root(file);
      if (root !== undefined) this.#rootTold.add(index);
      return describe(file, root);
    });
    const { device, text, lanes } = this.#options;
    await this.#link.send({ type: 'manifest', files, ...(device && { device }), ...(text && { text }), ...(lanes && { lanes: MAX_LANES }) });
    this.#set('waiting');
  }

  /** Who the password limits count this receiver as: its key (all receivers without one are one). */
  get #guardKey(): string {
    return this.#receiverKey ?? '';
  }

  #clear(need: GateNeed): void {
    this.#cleared.add(need);
    this.#options.gate?.clear(need, this.#receiverKey);
  }

  async #password(proof: string): Promise<void> {
    const gate = this.#options.gate;
    if (this.#state !== 'password' || !gate) throw new ProtocolError('a password when none was asked for');
    const wait = gate.guard.wait(this.#guardKey);
    if (wait > 0) {
      // Not even looked at: a right password during a lockout is no better than a wrong one.
      if (++this.#lockedOutTries > LOCKED_OUT_TRIES) throw new ProtocolError('passwords kept coming while locked out');
      return this.#link.send({ type: 'gate', need: 'password', retryInMs: wait });
    }
    if (gate.guard.guessing && !this.#cleared.has('approval')) {
      // Someone is guessing: this try is checked once the person sending lets this
      // receiver try, which a guesser cannot make them do. Till then it learns nothing.
      this.#held = proof;
      await this.#link.send({ type: 'gate', need: 'approval' });
      return this.#set('approval');
    }
    await this.#check(proof);
  }

  async #check(proof: string): Promise<void> {
    const gate = this.#options.gate!;
    const verdict = gate.guard.attempt(this.#guardKey);
    if (gate.passwordKey === null || (await verifyPassword(gate.passwordKey, this.#options.fingerprints, proof))) {
      gate.guard.right(this.#guardKey);
      this.#clear('password');
      return this.#proceed();
    }
    gate.guard.wrong(this.#guardKey);
    await this.#link.send({ type: 'gate', need: 'password', ...verdict });
    this.#set('password');
  }

  /**
   * Ends this receiver's transfer for `reason`: it is told so (at once, or as soon as
   * it proves the secret) and hung up on. Bytes still queued are not followed by more.
   */
  async end(reason: EndReason): Promise<void> {
    if (this.#ending || this.#state === 'done' || this.#state === 'error') return;
    this.#ending = reason;
    // Before its proof a receiver may hear nothing; `authenticated` tells it then.
    if (this.#proven) await this.#tellEnded(reason);
  }

  async #tellEnded(reason: EndReason): Promise<void> {
    this.#ending = reason;
    this.#set('ended');
    try {
      await this.#link.send({ type: 'ended', reason });
    } catch {
      // The connection is gone already: the receiver learns the rest when it calls again.
    }
    // The channel delivers what is queued (the news included) before it closes.
    this.#link.close();
  }

  get snapshot(): SenderSnapshot {
    return {
      state: this.#state,
      progress: this.#progress,
      sentBytes: this.#sentBytes,
      filesConfirmed: this.#filesConfirmed,
      receiverKey: this.#receiverKey,
      device: this.#device,
      held: this.#held !== null,
      ended: this.#ending,
      failure: this.#failure,
      error: this.#failure && failureMessage(this.#failure),
    };
  }

  #handle(message: Message, lane: number): void | Promise<void> {
    if (lane > 0) throw new ProtocolError(`${message.type} on lane ${lane}, which carries only what we send`);
    // Told the link ended: what the receiver still says (a request crossing the news) changes nothing.
    if (this.#ending) return;
    if (message.type === 'password') return this.#password(message.proof);
    // Nothing about the files, not even that the receiver is done, until it is let through.
    if (this.#state === 'password' || this.#state === 'approval') throw new ProtocolError(`${message.type} before the receiver was let in`);
    switch (message.type) {
      case 'request':
        return this.#request(message.ranges, message.stored, message.total, message.lane ?? 0);
      case 'lane-offer':
        return this.#laneOffered(message.lane, message.sdp);
      case 'receipt':
        return this.#receipt(message.verified, message.failed);
      case 'done':
        if (this.#unconfirmed.size > 0) throw new ProtocolError('done while files await their receipt');
        // Saying so costs nothing. A file is acknowledged only after its end, which follows
        // every byte of it asked for: every file verified is every byte asked for sent.
        if (!this.#delivery.complete(this.#options.files.length)) {
          throw new ProtocolError('done before every file was sent and verified');
        }
        this.#set('done');
        return this.#link.close();
      default:
        throw new ProtocolError(`a receiver does not send ${message.type}`);
    }
  }

  /** A lane offered by the receiver: answered, and joined to the link once open, in the background. */
  #laneOffered(lane: number, sdp: string): void {
    const maker = this.#options.lanes;
    if (!maker) throw new ProtocolError('a lane offered to a sender that takes none');
    if (lane >= MAX_LANES) throw new ProtocolError(`lane ${lane} offered to a sender that takes ${MAX_LANES}`);
    if (this.#lanes.has(lane)) throw new ProtocolError(`lane ${lane} offered twice`);
    this.#lanes.set(lane, this.#answerLane(maker, lane, sdp));
  }

  async #answerLane(maker: LaneMaker, lane: number, sdp: string): Promise<void> {
    try {
      const answer = await maker.answer(sdp);
      this.#answers.add(answer);
      if (this.#link.signal.aborted) return answer.close();
      await this.#link.send({ type: 'lane-answer', lane, sdp: answer.sdp });
      this.#link.addLane(lane, await answer.lane);
    } catch {
      // The receiver gives up on a lane that does not open, and asks nothing on it.
    }
  }

  #request(ranges: FileRange[], stored: number, total: number, lane: number): void {
    if (lane > 0 && !this.#lanes.has(lane)) throw new ProtocolError(`request on lane ${lane}, which was not offered`);
    /** Files asked for whole: the small ones among them are read ahead. */
    const whole: FileSource[] = [];
    for (const { file, start, end } of ranges) {
      const source = this.#options.files[file];
      if (!source) throw new ProtocolError(`request for file ${file}, which does not exist`);
      if (end > source.size) throw new ProtocolError(`request for ${source.name} up to ${end}, past its end`);
      if (start > end) throw new ProtocolError(`request for ${source.name} from ${start} to ${end}`);
      if (start === 0 && end === source.size) whole.push(source);
    }
    if (this.#meter.total !== total) this.#meter = new RateMeter(total);
    // Monotonic: the report lags what we already sent, so take whichever is further.
    this.#progress = this.#meter.progress(Math.min(Math.max(stored, this.#progress.bytes), total), this.#clock.now());
    if (this.#state !== 'transferring') this.#set('transferring');
    // Read ahead while earlier requests are still being sent.
    this.#reader.expect(whole);
    span('grant', this.#idleSince);
    this.#idleSince = NaN;
    // How much the channel still had to send when more was asked for: none means it ran dry.
    sample('granted', this.#link.bufferedAmount(lane));
    // A lane's requests queue behind each other (its first behind its opening); the inbox stays free for receipts meanwhile.
    const pump = (this.#pumps.get(lane) ?? this.#lanes.get(lane) ?? Promise.resolve())
      .then(() => this.#send(ranges, lane))
      // A lane that closed takes what it was sending with it: the receiver asks for that on another.
      .catch((error: unknown) => (lane > 0 && !this.#link.hasLane(lane) && !this.#link.signal.aborted ? undefined : this.#link.fail(asError(error))))
      .finally(() => {
        if (this.#pumps.get(lane) === pump) this.#idleSince = since();
      });
    this.#pumps.set(lane, pump);
  }

  async #send(ranges: FileRange[], lane: number): Promise<void> {
    const frameBytes = Math.min(this.#options.messageBytes ?? Infinity, this.#link.maxMessageSize);
    for (let next = 0; next < ranges.length; ) {
      const whole = this.#wholeFiles(ranges, next, frameBytes);
      if (whole > 0) await this.#sendWhole(ranges.slice(next, next + whole), lane);
      else await this.#sendRange(ranges[next]!, frameBytes - DATA_HEADER_BYTES, lane);
      next += Math.max(whole, 1);
      if (this.#ending) return;
    }
  }

  /**
   * How many ranges from `first` on are whole files of at most one block that fit
   * together in one FILES frame of at most `frameBytes`: none when the first is part
   * of a file, or too large.
   */
  #wholeFiles(ranges: readonly FileRange[], first: number, frameBytes: number): number {
    let count = 0;
    let payloadBytes = 0;
    for (let at = first; at < ranges.length && count < MAX_FILES_PER_FRAME; at++) {
      const { file, start, end } = ranges[at]!;
      if (start !== 0 || end !== this.#options.files[file]!.size || end > BLOCK_SIZE) break;
      if (filesFrameBytes(count + 1, payloadBytes + end) > frameBytes) break;
      count += 1;
      payloadBytes += end;
    }
    return count;
  }

  /**
   * Whole files in one FILES frame, each with its bytes' SHA-256 (its only block's): no
   * file-end follows them. Hashed here if their tree is not known yet: a tree for one
   * block costs one hash of bytes read anyway.
   */
  async #sendWhole(ranges: readonly FileRange[], lane: number): Promise<void> {
    const signal = this.#link.signal;
    const sources = ranges.map(({ file }) => this.#options.files[file]!);
    const { frame, payloads, hashes } = allocateFilesFrame(ranges.map(({ file }, at) => ({ file, size: sources[at]!.size })));
    let bytes = 0;
    for (const [at, source] of sources.entries()) {
      signal.throwIfAborted();
      if (this.#ending) return;
      const payload = payloads[at]!;
      await waited('read', this.#reader.fill(source, 0, payload));
      const hashing = since();
      const hash = await blockDigest(payload);
      span('hash', hashing);
      // The bytes read now are what the root was made from, or the file changed on disk;
      // a root not known yet is known from them, and the file need not be read to hash it.
      if (!this.#trees.oneBlockRead(source, hash)) throw new Error(`${source.name} changed while it was being sent`);
      hashes[at]!.set(hash);
      bytes += payload.length;
    }
    for (const { file } of ranges) this.#unconfirmed.add(file);
    await this.#link.sendFrame(frame, lane);
    this.#sentBytes += bytes;
    this.#advance(bytes);
  }

  /**
   * Part of a file, or one too large for a FILES frame: block by block, each a BLOCK
   * frame with its hash and proof and then its bytes in DATA frames; and its file-end
   * if the range reaches the end. The file's root goes first if the receiver lacks it.
   */
  async #sendRange({ file, start, end }: FileRange, payloadBytes: number, lane: number): Promise<void> {
    const signal = this.#link.signal;
    const source = this.#options.files[file]!;
    // Just the end (start = end = size) is asked for a file whose every block is stored: it need not lie on a block boundary.
    if ((start % BLOCK_SIZE !== 0 && start !== source.size) || (end % BLOCK_SIZE !== 0 && end !== source.size)) {
      throw new ProtocolError(`request for ${source.name} from ${start} to ${end}, not whole blocks`);
    }
    const tree = await waited('hash', this.#trees.of(source, signal));
    if (!this.#rootTold.has(file)) {
      await this.#link.send({ type: 'root', file, root: bytesToHex(tree.root) }, lane);
      this.#rootTold.add(file);
    }
    for (let index = blockCount(start); index < blockCount(end); index++) {
      signal.throwIfAborted();
      if (this.#ending) return;
      const blockStart = index * BLOCK_SIZE;
      const blockEnd = Math.min(end, blockStart + BLOCK_SIZE);
      await this.#link.sendFrame(encodeBlock(file, index, tree.blockHashes[index]!, tree.proveBlock(index)), lane);
      // In frames of even size: a block one header larger than a message goes as two
      // halves, not as a full frame and a 13-byte one.
      const frameBytes = Math.ceil((blockEnd - blockStart) / Math.ceil((blockEnd - blockStart) / payloadBytes));
      for (let offset = blockStart; offset < blockEnd; ) {
        signal.throwIfAborted();
        if (this.#ending) return;
        const length = Math.min(frameBytes, blockEnd - offset);
        const frame = allocateDataFrame(file, offset, length);
        await waited('read', this.#reader.fill(source, offset, frame.subarray(DATA_HEADER_BYTES)));
        await this.#link.sendFrame(frame, lane);
        offset += length;
        this.#sentBytes += length;
        this.#advance(length);
      }
    }
    if (end === source.size && !this.#ending) {
      this.#unconfirmed.add(file);
      await this.#link.send({ type: 'file-end', file }, lane);
    }
  }

  #receipt(verified: readonly number[], failed: readonly number[]): void {
    for (const file of [...verified, ...failed]) {
      if (!this.#unconfirmed.delete(file)) throw new ProtocolError(`receipt for file ${file}, which was not sent`);
    }
    for (const file of verified) this.#delivery.receipt(file, true);
    for (const file of failed) this.#delivery.receipt(file, false);
    // A file that failed verification is the receiver's to ask for again.
    this.#filesConfirmed += verified.length;
    this.#emit(false);
  }

  #advance(bytes: number): void {
    this.#progress = this.#meter.progress(Math.min(this.#progress.bytes + bytes, this.#meter.total), this.#clock.now());
    this.#emit(false);
  }

  #linkClosed(error: Error | null): void {
    for (const answer of this.#answers) answer.close();
    if (this.#state === 'done' || this.#state === 'ended') return;
    if (error) {
      // The receiver's words are its own: say so, or "no room left" would read as ours.
      this.#failure = error instanceof PeerReportedError ? { code: 'peer-stopped', by: 'receiver', words: error.message } : failureOf(error);
      this.#set('error');
    }
  }

  #set(state: SenderState): void {
    this.#state = state;
    this.#emit(true);
  }

  #emit(force: boolean): void {
    this.#changes.changed(force);
  }
}

function describe({ name, size, type, lastModified }: FileDescription, root: string | undefined): FileDescription {
  return { name, size, type, lastModified, ...(root !== undefined && { root }) };
}
