/**
 * Keeping one share, in any front end: its record, kept so that its link outlives a
 * reload (keys, files and their hashes, gate settings, life), its life (an expiry
 * watched by the wall clock, the first complete download, a stop), the same files
 * added again after a reload, and the ShareHost (session/share-host.ts) that serves
 * it while it is open.
 *
 * Free of frameworks and browser globals: the web page passes IndexedDB as the
 * record store and mirrors `state` into runes, words its errors and turns its
 * receivers' news into notifications; unit tests keep records in memory and move
 * time on by hand.
 */
import { coalesced } from './coalesced.ts';
import { newSenderKeys, passwordKey } from '../transfer/auth.ts';
import { SYSTEM_CLOCK, type Clock } from '../transfer/clock.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FileTrees } from '../transfer/file-trees.ts';
import { newSecret, shareLink } from '../transfer/link.ts';
import { matchFiles } from './match-files.ts';
import { failureOf, type Failure } from '../transfer/failure.ts';
import { MAX_TEXT_BYTES, textTooLong, type EndReason, type FileDescription } from '../transfer/messages.ts';
import type { FileSource } from '../transfer/file-source.ts';
import { PASSWORD_LIMITS, PasswordGuard } from '../transfer/password-guard.ts';
import { OPEN_GATE, ShareGate } from '../transfer/share-gate.ts';
import { Throttle } from '../transfer/throttle.ts';
import {
  endOf,
  endsAfterDownload,
  noteReceiver,
  stageOf,
  untilExpiry,
  type Expiry,
  type ExpiryChoice,
  type ReceiverSummary,
  type ShareEnd,
} from './share-life.ts';
import { Deliveries } from './deliveries.ts';
import type { HostBroker } from './host-ports.ts';
import type { ReceiverRow } from './receiver-rows.ts';
import { ShareHost, type HostStatus } from './share-host.ts';
import type { ShareRecord } from './share-record.ts';

/** How often the expiry is checked against the clock (and "Expires in …" brought up to date). */
export const LIFE_CHECK_MS = 30_000;
/** Roots learned while hashing are saved with the share at most this often. */
export const HASH_SAVE_DELAY_MS = 1000;
/** And shown at most this often, but for the last. */
const ROOTS_SHOWN_MS = 250;

/**
 * Where the one share a device offers is remembered (the browser: IndexedDB,
 * storage/shares.ts). A failure is only logged: the share still works, it just may
 * not survive a reload.
 */
export interface ShareRecords {
  load(): Promise<ShareRecord | undefined>;
  /** Keeps the record as it is now: later changes to the object are not saved until saved again. */
  save(record: ShareRecord): Promise<void>;
  delete(): Promise<void>;
}

export type ShareStatus = 'idle' | HostStatus | 'needs-files';

/** Why the share is not going: codes and data, for the front end to put into words. */
export type ShareError =
  /** Some of the files asked for again were not among those added (they are `missing`). */
  | { kind: 'not-all-added' }
  /** The file added again under this name is not the one shared: its hash differs. */
  | { kind: 'changed'; file: string }
  /** The broker could not be reached, or would not register the share (saying why). */
  | { kind: 'broker'; failure: Failure };

/** Replaced whole on every change. */
export interface ShareState {
  link: string | null;
  status: ShareStatus;
  files: readonly FileSource[];
  /**
   * Each file's root (block-tree.ts, hex) once the share has hashed it, in the order of
   * `files`; null while it is being hashed. Every block a receiver gets is checked against it.
   */
  roots: readonly (string | null)[];
  /** The text the share carries beside its files (or alone); null: none. */
  text: string | null;
  /** After a reload: the files to add again before sending can carry on. */
  missing: readonly FileDescription[];
  receivers: readonly ReceiverRow[];
  /** Connections that came in but found no network path (no proof possible: no row). */
  failedAttempts: number;
  /** Whether the server offers a TURN relay (shapes the advice after a failed attempt). */
  relay: boolean;
  /** Whether each receiver must be allowed before it gets the files ("ask me first"). */
  askFirst: boolean;
  /** Whether the open share asks for a password. */
  locked: boolean;
  /** Why the link is dead, once it is: stopped here, or expired. */
  ended: ShareEnd | null;
  /** After a reload: every receiver that started has every file, so new files come first. */
  finished: boolean;
  /** Receivers that have every file, over the share's life (reloads included). */
  sentTo: number;
  /** When and how the link ends on its own; null: never. */
  expiry: ExpiryChoice | null;
  /** The wall clock as of the last check, which "Expires in …" counts from. */
  now: number;
  error: ShareError | null;
}

/** What a new share asks of its receivers. Only the password's key is kept, never the password. */
export interface NewShareGate {
  /** Empty for none. */
  password: string;
  askFirst: boolean;
}

/** A share's text is a note, not a file: more than MAX_TEXT_BYTES of it is refused before anything starts. */
export class TextTooLongError extends Error {
  override name = 'TextTooLongError';
  readonly failure: Failure = { code: 'text-too-long', maxBytes: MAX_TEXT_BYTES };
}

export interface ShareKeeperOptions {
  records: ShareRecords;
  /** The broker receivers reach the share through. */
  broker: HostBroker;
  /** A fresh token that owns a share's id at the broker (common/broker-ids.ts newBrokerToken). */
  newBrokerToken: () => string;
  /** The Ferry server's origin, which the link points to. */
  origin: string;
  /** How this device describes itself to receivers (self-reported), if at all: asked as each share starts. */
  device?: () => string | null;
  /** Something in `state` changed. */
  onchange: (state: ShareState) => void;
  /** A receiver has every file (after the share noted it, before the link may end with it). */
  onfinished?: (row: ReceiverRow) => void;
  /** A receiver waits for the person sending to allow or decline it (decide()). */
  onasking?: (row: ReceiverRow) => void;
  clock?: Clock;
}

/** No share. What was learned of the server (`relay`) and the clock (`now`) stays as it was. */
export const IDLE: Omit<ShareState, 'relay' | 'now'> = {
  link: null,
  status: 'idle',
  files: [],
  roots: [],
  text: null,
  missing: [],
  receivers: [],
  failedAttempts: 0,
  askFirst: false,
  locked: false,
  ended: null,
  finished: false,
  sentTo: 0,
  expiry: null,
  error: null,
};

export class ShareKeeper {
  readonly #options: ShareKeeperOptions;
  readonly #clock: Clock;
  #state: ShareState;
  #record: ShareRecord | null = null;
  /** The open share's connections and receivers, while it is registered or registering. */
  #host: ShareHost | null = null;
  #gate = new ShareGate();
  /** What the open share's receivers verified, saved into the record as it is saved. */
  #deliveries: Deliveries | null = null;
  /** Cancels the next check of the share's life. */
  #stopLife = () => {};
  /** Cancels the save of learned roots that is due, while one is. */
  #saveSoon: (() => void) | undefined;
  /** The share's files' trees, and the background hashing that fills them. */
  #trees: { record: ShareRecord; files: readonly FileSource[]; trees: FileTrees; hashing: AbortController } | null = null;

  constructor(options: ShareKeeperOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#state = { ...IDLE, relay: false, now: this.#clock.now() };
  }

  get state(): ShareState {
    return this.#state;
  }

  /** Picks up the share this device was offering before the page reloaded, if any. */
  async restore(): Promise<void> {
    let record: ShareRecord | undefined;
    try {
      record = await this.#options.records.load();
    } catch (error) {
      console.warn('cannot read the saved share', error);
    }
    if (!record || this.#state.status !== 'idle') return;
    if (!Array.isArray(record.roots)) {
      // Saved before roots: its whole-file SHA-256s are of no use now.
      delete (record as { hashes?: unknown }).hashes;
      record.roots = record.files.map(() => null);
    }
    this.#record = record;
    this.#set({
      ...gateShown(record),
      link: shareLink(this.#options.origin, record),
      text: record.text ?? null,
      missing: record.files,
      status: 'needs-files',
      ...lifeShown(record),
    });
    const stage = stageOf(record, this.#clock.now());
    if (stage.stage === 'ended') {
      this.#endLink(stage.end);
      // While this page is open, whoever opens the dead link hears so from its sender.
      // No files are needed to say that.
      await this.#open(record, []);
    } else {
      this.#set({ finished: stage.stage === 'finished' });
      this.#watchLife();
      // A text alone needs nothing added again: it goes on at once.
      if (record.files.length === 0 && stage.stage !== 'finished') await this.#open(record, []);
    }
  }

  /** Ends the link at once ('stopped'): every receiver is told, and the link is dead; the share is kept, ended. */
  end(): void {
    this.#endLink({ reason: 'stopped', at: this.#clock.now() });
  }

  /** Sets when the link ends on its own; a time counts from now. */
  setExpiry(kind: Expiry): void {
    const record = this.#record;
    if (!record || record.ended) return;
    record.expiry = { kind, from: this.#clock.now() };
    this.#set({ expiry: record.expiry });
    void this.#persist();
    this.#watchLife();
  }

  /** A finished share, offered again: the same files are asked for, as after any reload (a text alone goes on at once). */
  keepSharing(): void {
    this.#set({ finished: false });
    const record = this.#record;
    if (record && record.files.length === 0 && !this.#host) void this.#open(record, []);
  }

  /**
   * Whether a share is open here, or saved by this page or another: starting a new
   * one would end it, and its link would stop working.
   */
  async offering(): Promise<boolean> {
    // A dead link loses nothing by being replaced.
    if (this.#record) return !this.#record.ended;
    try {
      const record = await this.#options.records.load();
      return record !== undefined && !endOf(record, this.#clock.now());
    } catch {
      // Storage that cannot be read will not be overwritten by the new share either.
      return false;
    }
  }

  /**
   * A new share of `files` and `text` (either may be empty, not both), under a new
   * link, in place of any other. Throws TextTooLongError, ending nothing, for a text
   * over MAX_TEXT_BYTES.
   */
  async start(files: readonly FileSource[], { password, askFirst }: NewShareGate, text = ''): Promise<void> {
    if (textTooLong(text)) throw new TextTooLongError('the text is longer than a share may carry');
    await this.endAndDelete();
    const brokerToken = this.#options.newBrokerToken();
    const record: ShareRecord = {
      peerId: await this.#options.broker.newPeerId(brokerToken),
      brokerToken,
      secret: newSecret(),
      ...newSenderKeys(),
      files: files.map(({ name, size, type, lastModified }) => ({ name, size, type, lastModified })),
      roots: files.map(() => null),
      ...(text !== '' && { text }),
      createdAt: this.#clock.now(),
    };
    record.gate = {
      ...OPEN_GATE,
      passwordKey: password === '' ? null : passwordKey(record.secret, password),
      askFirst,
    };
    this.#record = record;
    // Shown at once, as ending the last share cleared them: the front end may still be
    // showing the choices they came from.
    this.#set({ ...gateShown(record), text: record.text ?? null });
    await this.#persist();
    await this.#open(record, files);
  }

  /** The same files again, after a reload: matched to the share, and checked by root where known. */
  async addFilesAgain(picked: readonly FileSource[]): Promise<void> {
    const record = this.#record;
    if (!record) return;
    const { files, missing } = matchFiles(record.files, picked);
    if (missing.length > 0) return this.#set({ missing, error: { kind: 'not-all-added' } });
    this.#set({ missing, error: null, status: 'starting' });
    const sources = files as FileSource[];
    const trees = this.#treesFor(record, sources);
    for (const [index, source] of sources.entries()) {
      const known = record.roots[index];
      if (known && bytesToHex((await trees.of(source)).root) !== known) {
        return this.#set({ status: 'needs-files', missing: [record.files[index]!], error: { kind: 'changed', file: source.name } });
      }
    }
    await this.#open(record, sources);
  }

  /**
   * Ends the link and deletes the saved share: its link stops working. Whoever is
   * connected is told that sharing stopped, as with end(), before the connections close.
   */
  async endAndDelete(): Promise<void> {
    const host = this.#host;
    const record = this.#record;
    this.#host = null;
    this.#stopLife();
    this.#record = null;
    this.#deliveries = null;
    this.#trees?.hashing.abort();
    this.#trees = null;
    this.#set(IDLE);
    if (host && record && !record.ended) await host.endAll('stopped');
    host?.close();
    try {
      await this.#options.records.delete();
    } catch (error) {
      console.warn('cannot delete the saved share', error);
    }
  }

  /** Closes every connection; the share itself is kept, for after a reload. */
  close(): void {
    this.#host?.close();
    this.#host = null;
  }

  /**
   * Turns "ask me first" on or off while sharing. Turned off, it lets in whoever is
   * waiting for an answer.
   */
  setAskFirst(on: boolean): void {
    this.#gate.askFirst = on;
    this.#set({ askFirst: on });
    if (!on) this.#host?.allowAll();
  }

  /**
   * Asks receivers of the open share for `password` from now on. Those who already got
   * past the gate are remembered as having passed it: they are not asked when they
   * reconnect.
   */
  setPassword(password: string): void {
    const record = this.#record;
    if (!record || record.ended || !this.#host || password === '') return;
    const through = [
      ...(record.receivers ?? []).map((receiver) => receiver.session),
      ...this.#state.receivers.flatMap((row) => row.snapshot.receiverKey ?? []),
    ];
    this.#gate.setPassword(passwordKey(record.secret, password), through);
    this.#set({ locked: true });
  }

  /**
   * The server is back: a share waiting to register again tries now
   * (ShareHost.reconnectNow), and one the broker could not register at all (the
   * server was out of reach when it opened) tries again, under the same link.
   */
  reconnectNow(): void {
    const record = this.#record;
    const { status, error, files } = this.#state;
    if (record && status === 'error' && error?.kind === 'broker') void this.#open(record, files);
    else this.#host?.reconnectNow();
  }

  /** The person's answer for a receiver waiting for approval (by its row). */
  decide(row: string, allow: boolean): void {
    if (allow) this.#host?.allow(row);
    else this.#host?.decline(row);
  }

  #set(change: Partial<ShareState>): void {
    this.#state = { ...this.#state, ...change };
    this.#options.onchange(this.#state);
  }

  async #open(record: ShareRecord, files: readonly FileSource[]): Promise<void> {
    this.close();
    // Who passed the gate is saved with the share, so a reload does not ask them again.
    // So is what is left of its wrong tries: a reload does not grant new ones.
    const guard = new PasswordGuard(PASSWORD_LIMITS, this.#clock, record.passwordTries, (tries) => {
      record.passwordTries = tries;
      void this.#persist();
    });
    this.#gate = new ShareGate(
      record.gate ?? OPEN_GATE,
      (settings) => {
        record.gate = settings;
        void this.#persist();
      },
      guard,
    );
    // What receivers verified is saved with the share, so one that resumes after a reload is counted with it.
    this.#deliveries = new Deliveries(record.deliveries, () => void this.#persist());
    this.#set({ files, missing: [], status: 'starting', error: null, ...gateShown(record) });
    if (record.brokerToken === undefined) {
      record.brokerToken = this.#options.newBrokerToken();
      await this.#persist();
      if (this.#record !== record) return; // replaced while we waited
    }
    const { peerId, brokerToken, secret, signingKey } = record;
    const host = new ShareHost({
      broker: this.#options.broker,
      keys: { peerId, brokerToken, secret, signingKey },
      files,
      text: record.text ?? null,
      gate: this.#gate,
      trees: this.#treesFor(record, files),
      deliveries: this.#deliveries,
      ended: () => this.#deadReason(record),
      device: this.#options.device?.(),
      clock: this.#clock,
      // A host being ended (end()) still reports its receivers' news: not in this share.
      onchange: ({ status, receivers, failedAttempts, relay }) => {
        if (this.#host === host) this.#set({ status, receivers, failedAttempts, relay });
      },
      onstarted: (row) => this.#noteReceiver(row.id, false),
      onfinished: (row) => this.#finished(row),
      onasking: (row) => this.#options.onasking?.(row),
    });
    this.#host = host;
    try {
      await host.open();
    } catch (error) {
      this.#set({ error: { kind: 'broker', failure: failureOf(error) } });
      return;
    }
    if (this.#host !== host) return; // replaced while we waited
    this.#set({ link: shareLink(this.#options.origin, record) });
    this.#watchLife();
  }

  /**
   * The block trees of the share's files, hashed in the background from now on, so
   * that receivers' manifests carry the roots and no block waits for its tree. Each
   * root learned is saved with the share. The same files keep their trees (the share
   * opened again after its broker failed); other files start over.
   */
  #treesFor(record: ShareRecord, files: readonly FileSource[]): FileTrees {
    const current = this.#trees;
    if (current && current.record === record && sameFiles(current.files, files)) return current.trees;
    current?.hashing.abort();
    const indexes = new Map(files.map((file, index) => [file, index]));
    const roots: (string | null)[] = files.map(() => null);
    // 10,000 small files are hashed in a second or two: the page hears of them in a few steps, and of the last at once.
    const shown = new Throttle(ROOTS_SHOWN_MS, this.#clock, () => {
      if (this.#trees?.trees === trees) this.#set({ roots: [...roots] });
    });
    let hashed = 0;
    const trees = new FileTrees({
      onroot: (file, root) => {
        const index = indexes.get(file);
        if (index === undefined) return;
        roots[index] = root;
        shown.changed(++hashed === files.length);
        if (record.roots[index] === root) return;
        record.roots[index] = root;
        this.#persistSoon();
      },
    });
    const hashing = new AbortController();
    this.#trees = { record, files, trees, hashing };
    this.#set({ roots: [...roots] });
    void trees.hashAll(files, hashing.signal);
    return trees;
  }

  /** A receiver has every file: the front end hears of it, and the share's life may end with it. */
  #finished(row: ReceiverRow): void {
    this.#noteReceiver(row.id, true);
    this.#options.onfinished?.(row);
    // The first complete download ends the link for everyone else.
    if (this.#record && endsAfterDownload(this.#record)) this.#endLink({ reason: 'expired', at: this.#clock.now() });
  }

  /**
   * The link is dead from now on: recorded (it stays dead after a reload), and every
   * connected receiver told. The page stays registered, so later ones are told too.
   */
  #endLink(end: ShareEnd): void {
    const record = this.#record;
    if (!record) return;
    this.#stopLife();
    if (!record.ended) {
      record.ended = end;
      void this.#persist();
    }
    this.#set({ ended: record.ended });
    this.#host?.endAll(record.ended.reason);
  }

  /**
   * Ends the link when its time is up. By the wall clock, checked at least every
   * LIFE_CHECK_MS: timers stop while a laptop sleeps or a phone freezes the page.
   */
  #watchLife(): void {
    this.#stopLife();
    const record = this.#record;
    const now = this.#clock.now();
    this.#set({ now });
    if (!record) return;
    const end = endOf(record, now);
    if (end) return this.#endLink(end);
    const left = untilExpiry(record, now);
    if (left !== null) this.#stopLife = this.#clock.after(Math.min(left, LIFE_CHECK_MS), () => this.#watchLife());
  }

  /** Asked by each connection once its receiver proves the link: is the link dead? (The clock may say so first.) */
  #deadReason(record: ShareRecord): EndReason | null {
    const end = endOf(record, this.#clock.now());
    if (end && record === this.#record) this.#endLink(end);
    return end?.reason ?? null;
  }

  /** Keeps who started and who finished, so a reload knows whether the share is finished. */
  #noteReceiver(receiverKey: string, done: boolean): void {
    const record = this.#record;
    const receivers = record && noteReceiver(record.receivers ?? [], receiverKey, done);
    if (!record || !receivers) return;
    record.receivers = receivers;
    this.#set({ sentTo: sentTo(receivers) });
    void this.#persist();
  }

  /**
   * Saves the share within HASH_SAVE_DELAY_MS. For roots, which come one per file
   * (10,000 in a few seconds) and only serve to check files added again after a reload.
   */
  #persistSoon(): void {
    this.#saveSoon ??= this.#clock.after(HASH_SAVE_DELAY_MS, () => {
      this.#saveSoon = undefined;
      void this.#persist();
    });
  }

  /** Saves the share as it is; asks that come while a save runs share the next one. */
  #persist = coalesced(async () => {
    if (!this.#record) return;
    if (this.#deliveries) this.#record.deliveries = this.#deliveries.saved;
    try {
      await this.#options.records.save(this.#record);
    } catch (error) {
      // The share still works; only surviving a reload is lost.
      console.warn('cannot save the share', error);
    }
  });
}

/** What the state shows of the record's gate. */
function gateShown(record: ShareRecord): Pick<ShareState, 'askFirst' | 'locked'> {
  return { askFirst: record.gate?.askFirst ?? false, locked: record.gate?.passwordKey != null };
}

/** What the state shows of the record's life. */
function lifeShown(record: ShareRecord): Pick<ShareState, 'ended' | 'expiry' | 'sentTo'> {
  return { ended: record.ended ?? null, expiry: record.expiry ?? null, sentTo: sentTo(record.receivers ?? []) };
}

function sentTo(receivers: readonly ReceiverSummary[]): number {
  return receivers.filter((receiver) => receiver.done).length;
}

function sameFiles(a: readonly FileSource[], b: readonly FileSource[]): boolean {
  return a.length === b.length && a.every((file, index) => file === b[index]);
}
