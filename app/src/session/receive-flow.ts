/**
 * Receiving one share, from the first dial to the last verified byte, in any front
 * end: reach the sender, run a ReceiverSession over durable storage, and keep going
 * when the connection drops — redial with backoff and ask only for what is missing.
 * Opening the same link again (a reload, a second run of the terminal client)
 * resumes the same way, from what the transfer book remembers. What is already on
 * the device is shown from storage before any dial, and a transfer whose files are
 * all here never dials at all: received files stay the receiver's, sender or not.
 *
 * Free of frameworks and browser globals: the web page mirrors `state` into runes,
 * the terminal prints it, and unit tests drive it over an in-memory channel.
 */
import type { OpenChannel } from '../transfer/channel.ts';
import { SYSTEM_CLOCK, type Clock } from '../transfer/clock.ts';
import { newReceiverKey } from '../transfer/auth.ts';
import type { ShareAddress } from '../transfer/link.ts';
import { failureOf, type Failure } from '../transfer/failure.ts';
import { endsLink, type FileDescription } from '../transfer/messages.ts';
import { ReceiverSession, storedSnapshot, type ReceiverSnapshot, type ReceiverState } from '../transfer/receiver.ts';
import type { ReceiveStore } from '../transfer/store.ts';
import type { Shortfall } from './room.ts';
import { newTransfer, newTransferId, receiverKeyOf, type TransferRecord } from './transfer-record.ts';

export interface RedialTimes {
  /** Waits between reconnection attempts; the last one repeats. */
  backoffMs: readonly number[];
  /** After this long without getting through, stop and let the person retry. */
  giveUpMs: number;
  /**
   * Waits between attempts to reach a sender that was not there at first (its page
   * closed, its laptop asleep), when the front end waits for one (`waitsFor`); the last
   * one repeats, until `giveUpMs`. Slower than `backoffMs`: nobody was mid-transfer.
   */
  awaitSenderMs: readonly number[];
  /** How often the transfer book's summary is brought up to date. */
  recordIntervalMs: number;
}

export const REDIAL_TIMES: RedialTimes = {
  backoffMs: [500, 1000, 2000, 4000, 8000, 15_000],
  giveUpMs: 10 * 60_000,
  awaitSenderMs: [3000, 5000, 10_000, 20_000, 30_000],
  recordIntervalMs: 1000,
};

/** A connection to the sender whose channel is open (net/dial.ts makes one in both front ends). */
export interface SenderChannel extends OpenChannel {
  /** Lets go of the connection and of the broker. */
  close(): void;
}

/**
 * Where transfers are remembered and their bytes kept. The browser keeps records in
 * IndexedDB and bytes in OPFS or IndexedDB; the terminal keeps both in the folder it
 * receives into. Errors a person can act on carry their Failure (a full disk:
 * 'storage-full'; a folder not safe to write into: 'unsafe-folder').
 */
export interface TransferBook<S extends ReceiveStore> {
  /** The transfer begun earlier by this link, if any. */
  find(address: ShareAddress): Promise<TransferRecord | undefined>;
  save(record: TransferRecord): Promise<void>;
  /** Deletes the record and everything stored for it. */
  delete(record: TransferRecord): Promise<void>;
  /** The durable store of the record's files. */
  open(record: TransferRecord): Promise<S>;
}

export interface ReceiveFlowOptions<S extends ReceiveStore> {
  address: ShareAddress;
  /**
   * One attempt to reach the sender. Rejects with why it could not (an error that
   * carries its Failure), or with the signal's reason once aborted. Every attempt is a
   * new call: relay credentials expire.
   */
  dial(signal: AbortSignal): Promise<SenderChannel>;
  book: TransferBook<S>;
  /** How this device describes itself to the sender (self-reported), if at all. */
  device: string | null;
  /**
   * Whether `bytes` more fit in storage; null when they do or nobody can tell. Like the
   * book's, its errors carry their Failure where a person can act on them.
   */
  roomFor?(bytes: number): Promise<Shortfall | null>;
  /** Something in `state` changed. */
  onchange(): void;
  /** Every file arrived and was verified. */
  ondone?(snapshot: ReceiverSnapshot): void;
  /**
   * Whether a first dial that failed so is worth repeating by itself: the page waits
   * for a sender that may come back (and connects the moment it does); the terminal
   * says the sender is not there and exits. None: never.
   */
  waitsFor?(failure: Failure): boolean;
  times?: RedialTimes;
  clock?: Clock;
}

export type Phase = 'connecting' | 'offline' | 'session' | 'reconnecting';

/** Why the sender is not reachable now: a dial failed (saying why), or the connection dropped. */
export type Trouble = { kind: 'unreachable'; failure: Failure } | { kind: 'dropped' };

/** What stopped Download from starting: too little room, or storage failing (saying why). */
export type Blocked = { kind: 'no-room'; shortfall: Shortfall } | { kind: 'storage'; failure: Failure };

export interface ReceiveState {
  phase: Phase;
  /** Why we are offline or reconnecting. */
  trouble: Trouble | null;
  /** Reconnecting went on too long and stopped: the person may try again. */
  gaveUp: boolean;
  /** Offline, and trying the sender again by itself (`waitsFor`): it connects once the sender is back. */
  awaiting: boolean;
  /** Why the last dial since `connect` failed, which says whose side the trouble is on. */
  lastDialFailure: Failure | null;
  snapshot: ReceiverSnapshot | null;
  /**
   * What this device already holds of an earlier visit's transfer, read from storage
   * before dialling (state 'connecting': the rest is still to come). Shown while no
   * session has the list of files, so a sender out of reach never hides what is here.
   */
  held: ReceiverSnapshot | null;
  /** The sender's files changed since this transfer began (these did): start over, or keep what is stored? */
  changed: readonly string[] | null;
  /** Download was asked for and could not start. */
  blocked: Blocked | null;
  /** Something of this transfer is kept on this device (there is something to delete). */
  kept: boolean;
}

/** A flow's state before it first connects: nothing known, nothing held. */
export const NOT_STARTED: ReceiveState = {
  phase: 'connecting',
  trouble: null,
  gaveUp: false,
  awaiting: false,
  lastDialFailure: null,
  snapshot: null,
  held: null,
  changed: null,
  blocked: null,
  kept: false,
};

export class ReceiveFlow<S extends ReceiveStore> {
  readonly address: ShareAddress;
  readonly #options: ReceiveFlowOptions<S>;
  readonly #times: RedialTimes;
  readonly #clock: Clock;
  #state: ReceiveState = NOT_STARTED;
  #connection: SenderChannel | null = null;
  #session: ReceiverSession | null = null;
  /** Aborted when the current dial or connection is given up. */
  #dialing = new AbortController();
  #record: TransferRecord | null = null;
  #store: S | null = null;
  #id = newTransferId();
  /** What the sender knows us by (transfer/auth.ts newReceiverKey): kept with the record once there is one. */
  #receiverKey = newReceiverKey();
  /** Download was chosen (now or on an earlier visit): resume without asking. */
  #accepted = false;
  #attempt = 0;
  #failures = 0;
  #droppedAt = 0;
  /** When the sender was first found missing since `connect` (0: it was not), and how often since. */
  #missedSince = 0;
  #misses = 0;
  #recordedAt = 0;
  /** Cancels the next dial, when one is set. */
  #stopRedial: () => void = () => {};
  /** The book's last summary update, still being written. */
  #recording: Promise<void> = Promise.resolve();

  constructor(options: ReceiveFlowOptions<S>) {
    this.address = options.address;
    this.#options = options;
    this.#times = options.times ?? REDIAL_TIMES;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  get state(): ReceiveState {
    return this.#state;
  }

  /** The value a front end shows as the transfer's state: the session's, or where the dialling stands. */
  get status(): ReceiverState | 'reconnecting' {
    const { phase, snapshot } = this.#state;
    if (phase === 'offline') return 'error';
    if (phase === 'reconnecting') return 'reconnecting';
    return snapshot?.state ?? 'connecting';
  }

  /** The store of this transfer's bytes, once it is open. */
  get store(): S | null {
    return this.#store;
  }

  get record(): TransferRecord | null {
    return this.#record;
  }

  /**
   * Shows what is stored of an earlier visit, then reaches the sender for the rest —
   * unless every file is here already, or the sender ended the link.
   */
  async connect(): Promise<void> {
    this.close();
    this.#set({ phase: 'connecting', trouble: null, gaveUp: false, awaiting: false, lastDialFailure: null, changed: null });
    this.#failures = 0;
    this.#missedSince = 0;
    this.#misses = 0;
    const attempt = this.#attempt;
    if (!this.#record) {
      let found: TransferRecord | undefined;
      try {
        found = await this.#options.book.find(this.address);
      } catch (error) {
        // No storage for records (some private windows): we can still receive, just not resume.
        console.warn('cannot read stored transfers', error);
      }
      if (found) {
        this.#setRecord(found);
        this.#id = found.id;
        this.#receiverKey = receiverKeyOf(found);
        this.#accepted = true;
      }
    }
    const record = this.#record;
    const held = record && (await this.#readStored(record));
    // Closed (or connected again) while we looked.
    if (attempt !== this.#attempt) return;
    // Final without a call: the sender ended the link on an earlier visit, or every file is here.
    if (held && held.state !== 'connecting') return this.#set({ phase: 'session', snapshot: held, held });
    if (held) this.#set({ held });
    await this.#dial();
  }

  /** What is stored of `record`, opening its store; null when storage cannot be read. */
  async #readStored(record: TransferRecord): Promise<ReceiverSnapshot | null> {
    const ended = record.ended?.reason ?? null;
    const stored = (store: Pick<S, 'ranges' | 'isVerified' | 'pinned'>) =>
      storedSnapshot(record.files, store, ended, record.senderDevice ?? null, record.text ?? null);
    try {
      this.#store ??= await this.#options.book.open(record);
      return stored(this.#store);
    } catch (error) {
      console.warn('cannot read what was received', error);
      // The link's end is known from the record alone; anything else is worth a call.
      return ended ? stored({ ranges: () => [], isVerified: () => false, pinned: () => null }) : null;
    }
  }

  /** The person chose Download: start now, and resume without asking after a drop or a reload. */
  download(): void {
    this.#accepted = true;
    void this.#begin();
  }

  /** Sends the password the person typed; the sender's answer comes as a new snapshot. */
  submitPassword(password: string): void {
    this.#session?.password(password).catch(() => {
      // Not asked for any more, or the link dropped: the session reports that itself.
    });
  }

  /** Records that every file was saved where the person wanted it (the history says so). */
  async markSaved(): Promise<void> {
    const record = this.#record;
    if (!record || record.saved || this.#state.snapshot?.state !== 'done') return;
    record.saved = true;
    await this.#options.book.save(record);
  }

  /** Closes, and deletes this transfer and everything stored for it; throws if storage refused. */
  async delete(): Promise<void> {
    this.close();
    // A batch still committing would write its ranges back after the delete.
    await this.#store?.flush().catch(() => {});
    if (this.#record) await this.#options.book.delete(this.#record);
    this.#setRecord(null);
    this.#store = null;
    this.#set({ held: null });
  }

  /** Hangs up and dials no more. What is stored stays. */
  close(): void {
    this.#attempt += 1;
    this.#closeConnection();
  }

  /** Closes, and resolves once the book's last update is written: nothing more is written after. */
  async closeAndSettle(): Promise<void> {
    this.close();
    await this.#recording;
  }

  /**
   * The sender's files changed: delete what was stored, connect again, and offer the
   * new files. Throws, connecting no more, if what was stored could not be deleted.
   */
  async startOver(): Promise<void> {
    await this.delete();
    this.#accepted = false;
    await this.connect();
  }

  /** The sender's files changed: close, keeping what was stored (the sender may offer the old ones again). */
  keepOld(): void {
    this.close();
    this.#set({ changed: null });
  }

  #set(change: Partial<ReceiveState>): void {
    this.#state = { ...this.#state, ...change };
    // Only an offline flow waits for its sender.
    if (this.#state.phase !== 'offline') this.#state.awaiting = false;
    this.#options.onchange();
  }

  /** Closes the session and the connection to the sender, and stops any dial or redial under way. */
  #closeConnection(): void {
    this.#stopRedial();
    this.#dialing.abort();
    const session = this.#session;
    this.#session = null;
    session?.close();
    this.#connection?.close();
    this.#connection = null;
  }

  async #dial(): Promise<void> {
    const attempt = ++this.#attempt;
    const dialing = new AbortController();
    this.#dialing = dialing;
    try {
      const connection = await this.#options.dial(dialing.signal);
      if (attempt !== this.#attempt) return connection.close();
      this.#connection = connection;
      this.#startSession(connection);
    } catch (error) {
      if (dialing.signal.aborted) return;
      this.#unreachable(attempt, failureOf(error));
    }
  }

  /** The sender could not be reached: say so, or keep trying if we are mid-transfer. */
  #unreachable(attempt: number, failure: Failure): void {
    if (attempt !== this.#attempt || this.#session) return;
    this.#closeConnection();
    const trouble: Trouble = { kind: 'unreachable', failure };
    this.#set({ lastDialFailure: failure });
    if (this.#state.phase === 'reconnecting') return this.#redial(trouble);
    const waits = this.#options.waitsFor?.(failure) === true;
    const awaiting = waits && this.#awaitSender();
    this.#set({ phase: 'offline', trouble, awaiting, gaveUp: waits && !awaiting });
  }

  /** Tries the missing sender again later; false once it has been missing too long to go on. */
  #awaitSender(): boolean {
    const now = this.#clock.now();
    if (this.#missedSince === 0) this.#missedSince = now;
    const delays = this.#times.awaitSenderMs;
    if (delays.length === 0 || now - this.#missedSince > this.#times.giveUpMs) return false;
    const delay = delays[Math.min(this.#misses++, delays.length - 1)]!;
    this.#stopRedial = this.#clock.after(delay, () => void this.#dial());
    return true;
  }

  #redial(trouble: Trouble): void {
    if (this.#clock.now() - this.#droppedAt > this.#times.giveUpMs) {
      this.#set({ phase: 'offline', trouble, gaveUp: true });
      return;
    }
    this.#set({ phase: 'reconnecting', trouble });
    const { backoffMs } = this.#times;
    const delay = backoffMs[Math.min(this.#failures++, backoffMs.length - 1)]!;
    this.#stopRedial = this.#clock.after(delay, () => void this.#dial());
  }

  #startSession(connection: SenderChannel): void {
    const session = new ReceiverSession({
      channel: connection.channel,
      maxMessageSize: connection.maxMessageSize,
      fingerprints: connection.fingerprints,
      lanes: connection.lanes,
      secret: this.address.secret,
      senderKey: this.address.senderKey,
      receiverKey: this.#receiverKey,
      device: this.#options.device,
      openStore: (files, text) => this.#openStore(files, text),
      // A transfer begun earlier holds the sender to its text, as to its files.
      pinnedText: this.#record ? (this.#record.text ?? null) : undefined,
      onchange: (snapshot) => this.#update(session, snapshot),
    });
    this.#session = session;
    // A reconnection counts as reconnecting until bytes flow again.
    this.#set({ snapshot: session.snapshot, ...(this.#state.phase !== 'reconnecting' && { phase: 'session' }) });
    void session.start();
  }

  #update(session: ReceiverSession, snapshot: ReceiverSnapshot): void {
    if (session !== this.#session) return;
    const finished = snapshot.state === 'done' && this.#state.snapshot?.state !== 'done';
    const flowing = snapshot.state !== 'connecting' && snapshot.state !== 'waiting';
    this.#set({
      snapshot,
      ...(flowing && { phase: 'session' }),
      ...(snapshot.filesChanged && { changed: snapshot.filesChanged }),
    });
    if (finished) this.#options.ondone?.(snapshot);
    // A share of a text alone has nothing to download: it is received with its list.
    if (snapshot.state === 'waiting' && snapshot.files.length === 0) this.#accepted = true;
    if (snapshot.state === 'waiting' && this.#accepted) void this.#begin();
    if (snapshot.state === 'done') this.#failures = 0;
    this.#recording = Promise.all([this.#recording, this.#remember(snapshot)]).then(() => {});
    // Told the link ended: nothing more will come of this sender, so let go of the broker too.
    if (snapshot.state === 'ended') this.#closeConnection();
    if (snapshot.state === 'error' && snapshot.disconnected && this.#accepted) {
      // Mid-transfer the connection went: keep what is stored and dial again.
      if (this.#state.phase !== 'reconnecting') this.#droppedAt = this.#clock.now();
      this.#closeConnection();
      this.#redial({ kind: 'dropped' });
    }
  }

  async #begin(): Promise<void> {
    const session = this.#session;
    const snapshot = this.#state.snapshot;
    if (!session || !snapshot || snapshot.state !== 'waiting') return;
    try {
      const shortfall = await this.#options.roomFor?.(snapshot.progress.total - snapshot.progress.bytes);
      if (shortfall) return this.#set({ blocked: { kind: 'no-room', shortfall } });
      if (this.#record) await this.#options.book.save(this.#record);
    } catch (error) {
      return this.#set({ blocked: { kind: 'storage', failure: failureOf(error) } });
    }
    if (this.#state.blocked) this.#set({ blocked: null });
    session.download().catch(() => {
      // If the link dropped meanwhile, the session reports that itself.
    });
  }

  async #openStore(files: readonly FileDescription[], text: string | null): Promise<S> {
    // The last session's final batch lands before this one deletes or reads what is stored.
    await this.#store?.flush().catch(() => {});
    // A transfer begun earlier keeps its files: the session holds the sender to them,
    // and asks the person (`changed`) before anything stored is let go.
    const current = this.#record ?? newTransfer(this.#id, this.address, [...files], text, this.#receiverKey);
    this.#setRecord(current);
    this.#store = await this.#options.book.open(current);
    return this.#store;
  }

  /** The transfer's record from now on (null: none), and whether the state says one is kept. */
  #setRecord(record: TransferRecord | null): void {
    this.#record = record;
    if (this.#state.kept !== (record !== null)) this.#set({ kept: record !== null });
  }

  /** Keeps the book's summary roughly current (the exact ranges live with the bytes). */
  async #remember(snapshot: ReceiverSnapshot): Promise<void> {
    const record = this.#record;
    const now = this.#clock.now();
    const final = snapshot.state === 'done' || snapshot.state === 'ended';
    if (!record || !this.#accepted || (now - this.#recordedAt < this.#times.recordIntervalMs && !final)) return;
    // A dead link stays dead. A refusal is about this one request: asking again may be allowed.
    const dead = snapshot.ended !== null && endsLink(snapshot.ended);
    if (dead) record.ended = { reason: snapshot.ended!, at: now };
    // A session that ended before the sender's list of files knows nothing of what is stored.
    const blind = snapshot.files.length === 0 && record.files.length > 0;
    if (blind && !dead) return;
    this.#recordedAt = now;
    if (!blind) {
      record.stored = snapshot.progress.bytes;
      record.done = snapshot.state === 'done';
      if (snapshot.senderDevice) record.senderDevice = snapshot.senderDevice;
    }
    try {
      // A session reports done only once its store has committed everything.
      await this.#options.book.save(record);
    } catch {
      // Only the book's summary is behind; a full disk is reported by the transfer itself.
    }
  }
}
