/**
 * The sending side's page: one share (a set of files behind one link), kept in
 * IndexedDB so that its link outlives a reload, with its gate settings, its life
 * (expiry, the first complete download) and notifications. The connections and the
 * receivers are its ShareHost's (session/share-host.ts), whose state it mirrors into
 * runes.
 */
import { newBrokerToken } from '../net/broker.ts';
import { shareBroker } from '../net/share-broker.ts';
import type { ReceiverRow } from '../session/receiver-rows.ts';
import { ShareHost, type HostState, type HostStatus } from '../session/share-host.ts';
import { coalesced } from '../storage/coalesced.ts';
import { forgetShare, loadShare, saveShare, type ShareRecord } from '../storage/shares.ts';
import { matchFiles } from '../transfer/match-files.ts';
import type { EndReason, FileDescription } from '../transfer/messages.ts';
import { FileHashes } from '../transfer/file-hashes.ts';
import {
  endOf,
  endsAfterDownload,
  noteReceiver,
  stageOf,
  untilExpiry,
  type Expiry,
  type ExpiryChoice,
  type ShareEnd,
} from '../transfer/share-life.ts';
import { newSenderKeys, passwordKey } from '../transfer/auth.ts';
import { newPeerId, newSecret, shareLink } from '../transfer/link.ts';
import type { FileSource } from '../transfer/sender.ts';
import { OPEN_GATE, ShareGate } from '../transfer/share-gate.ts';
import type { Phrase } from './i18n/en.ts';
import { errorText } from './i18n/errors.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { notifyIfHidden } from './notify.ts';

export type { ReceiverRow };

export type BrokerStatus = 'idle' | HostStatus | 'needs-files';

/** How often the expiry is checked against the clock (and "Expires in …" brought up to date). */
const LIFE_CHECK_MS = 30_000;
/** Hashes learned while sending are saved with the share at most this often. */
const HASH_SAVE_DELAY_MS = 1000;

export class Share {
  files = $state.raw<readonly FileSource[]>([]);
  link = $state<string | null>(null);
  status = $state<BrokerStatus>('idle');
  error = $state.raw<Phrase | null>(null);
  receivers = $state.raw<readonly ReceiverRow[]>([]);
  /** After a reload: the files to add again before sending can carry on. */
  missing = $state.raw<readonly FileDescription[]>([]);
  /** Connections that came in but found no network path (no proof possible: no row). */
  failedAttempts = $state(0);
  /** Whether the server offers a TURN relay (shapes the advice after a failed attempt). */
  relay = $state(false);
  /**
   * The password for the next share, as typed; empty for none. Only its key is kept
   * with the share (auth.ts passwordKey), never the password itself.
   */
  password = $state('');
  /** Whether the person allows each receiver before it gets the files ("ask me first"). */
  askFirst = $state(false);
  /** Whether the open share asks for a password. */
  locked = $state(false);
  /** Why the link is dead, once it is: stopped here, or expired. */
  ended = $state.raw<ShareEnd | null>(null);
  /** After a reload: every receiver that started has every file, so new files come first. */
  finished = $state(false);
  /** Receivers that have every file, over the share's life (reloads included). */
  sentTo = $state(0);
  /** When and how the link ends on its own; null: never. */
  expiry = $state.raw<ExpiryChoice | null>(null);
  /** The wall clock as of the last check, which "Expires in …" counts from. */
  now = $state(Date.now());

  #record: ShareRecord | null = null;
  /** The open share's connections and receivers, while it is registered or registering. */
  #host: ShareHost | null = null;
  #gate = new ShareGate();
  #lifeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Picks up the share this browser was offering before the page reloaded, if any. */
  async restore(): Promise<void> {
    let record: ShareRecord | undefined;
    try {
      record = await loadShare();
    } catch (error) {
      console.warn('cannot read the saved share', error);
    }
    if (!record || this.status !== 'idle') return;
    this.#record = record;
    this.#showGate(record);
    this.link = shareLink(location.origin, record);
    this.missing = record.files;
    this.status = 'needs-files';
    this.#showLife(record);
    const stage = stageOf(record, Date.now());
    if (stage.stage === 'ended') {
      this.#endLink(stage.end);
      // While this page is open, whoever opens the dead link hears so from its sender.
      // No files are needed to say that.
      await this.#open(record, []);
    } else {
      this.finished = stage.stage === 'finished';
      this.#watchLife();
    }
  }

  /** Stops sharing at once: every receiver is told, and the link is dead. */
  stop(): void {
    this.#endLink({ reason: 'stopped', at: Date.now() });
  }

  /** Sets when the link ends on its own; a time counts from now. */
  setExpiry(kind: Expiry): void {
    const record = this.#record;
    if (!record || record.ended) return;
    record.expiry = { kind, from: Date.now() };
    this.expiry = record.expiry;
    void this.#persist();
    this.#watchLife();
  }

  /** A finished share, offered again: the same files are asked for, as after any reload. */
  keepSharing(): void {
    this.finished = false;
  }

  /**
   * Whether a share is open here, or saved by this tab or another: starting a new one
   * would end it, and its link would stop working.
   */
  async offering(): Promise<boolean> {
    // A dead link loses nothing by being replaced.
    if (this.#record) return !this.#record.ended;
    try {
      const record = await loadShare();
      return record !== undefined && !endOf(record, Date.now());
    } catch {
      // Storage that cannot be read will not be overwritten by the new share either.
      return false;
    }
  }

  /** A new share of `files`, under a new link. */
  async start(files: FileSource[]): Promise<void> {
    // Set for this share (and kept for Try again), though ending the last one clears them.
    const { password, askFirst } = this;
    await this.end();
    [this.password, this.askFirst] = [password, askFirst];
    const record: ShareRecord = {
      peerId: newPeerId(),
      brokerToken: newBrokerToken(),
      secret: newSecret(),
      ...newSenderKeys(),
      files: files.map(({ name, size, type, lastModified }) => ({ name, size, type, lastModified })),
      hashes: files.map(() => null),
      createdAt: Date.now(),
    };
    record.gate = {
      ...OPEN_GATE,
      passwordKey: this.password === '' ? null : await passwordKey(record.secret, this.password),
      askFirst: this.askFirst,
    };
    this.#record = record;
    await this.#persist();
    await this.#open(record, files);
  }

  /** The same files again, after a reload: matched to the share, and checked by hash where known. */
  async readd(picked: FileSource[]): Promise<void> {
    const record = this.#record;
    if (!record) return;
    const { files, missing } = matchFiles(record.files, picked);
    this.missing = missing;
    this.error = null;
    if (missing.length > 0) {
      this.error = (t) => t.send.notAllAdded;
      return;
    }
    const sources = files as FileSource[];
    this.status = 'starting';
    const check = new AbortController();
    for (const [index, source] of sources.entries()) {
      const known = record.hashes[index];
      if (known && (await new FileHashes().of(source, check.signal)) !== known) {
        this.status = 'needs-files';
        this.missing = [record.files[index]!];
        this.error = (t) => t.send.changed(source.name);
        return;
      }
    }
    await this.#open(record, sources);
  }

  /** Stops sharing and forgets the share: its link stops working. */
  async end(): Promise<void> {
    this.hangUp();
    clearTimeout(this.#lifeTimer);
    this.#record = null;
    this.files = [];
    this.link = null;
    this.missing = [];
    this.receivers = [];
    this.failedAttempts = 0;
    this.password = '';
    this.askFirst = false;
    this.locked = false;
    this.ended = null;
    this.finished = false;
    this.sentTo = 0;
    this.expiry = null;
    this.status = 'idle';
    this.error = null;
    try {
      await forgetShare();
    } catch (error) {
      console.warn('cannot forget the saved share', error);
    }
  }

  /** Closes every connection; the share itself is kept, for after a reload. */
  hangUp(): void {
    this.#host?.close();
    this.#host = null;
  }

  /**
   * Turns "ask me first" on or off while sharing. Turned off, it lets in whoever is
   * waiting for an answer.
   */
  setAskFirst(on: boolean): void {
    this.askFirst = on;
    this.#gate.askFirst = on;
    if (!on) this.#host?.allowAll();
  }

  /** The person's answer for a receiver waiting for approval (by its row). */
  decide(row: string, allow: boolean): void {
    if (allow) this.#host?.allow(row);
    else this.#host?.decline(row);
  }

  #showGate(record: ShareRecord): void {
    this.askFirst = record.gate?.askFirst ?? false;
    this.locked = record.gate?.passwordKey != null;
  }

  async #open(record: ShareRecord, files: readonly FileSource[]): Promise<void> {
    this.hangUp();
    this.files = files;
    this.missing = [];
    this.status = 'starting';
    // Who passed the gate is saved with the share, so a reload does not ask them again.
    this.#gate = new ShareGate(record.gate ?? OPEN_GATE, (settings) => {
      record.gate = settings;
      void this.#persist();
    });
    this.#showGate(record);
    if (record.brokerToken === undefined) {
      record.brokerToken = newBrokerToken();
      await this.#persist();
      if (this.#record !== record) return; // replaced while we waited
    }
    const { peerId, brokerToken, secret, signingKey } = record;
    const host = new ShareHost({
      broker: shareBroker(location.origin),
      keys: { peerId, brokerToken, secret, signingKey },
      files,
      gate: this.#gate,
      hashes: this.#hashesOf(record, files),
      ended: () => this.#deadReason(record),
      onchange: (state) => this.#mirror(state),
      onstarted: (row) => this.#noteReceiver(row.id, false),
      onfinished: (row) => this.#finished(row),
      onasking: (row) => void notifyIfHidden(i18n.t.notify.askTitle, i18n.t.notify.askBody(receiverLabel(row))),
    });
    this.#host = host;
    try {
      await host.open();
    } catch (error) {
      this.error = errorText(error);
      return;
    }
    if (this.#host !== host) return; // replaced while we waited
    this.link = shareLink(location.origin, record);
    this.#watchLife();
  }

  /** The share's hashes: those known from before a reload, and each one learned, saved with the share. */
  #hashesOf(record: ShareRecord, files: readonly FileSource[]): FileHashes {
    const indexes = new Map(files.map((file, index) => [file, index]));
    const hashes = new FileHashes((file, sha256) => {
      const index = indexes.get(file);
      if (index === undefined || record.hashes[index] === sha256) return;
      record.hashes[index] = sha256;
      this.#persistSoon();
    });
    // Known from before a reload (and checked against the files just added): no need
    // to read them again, and receivers' manifests carry them from the start.
    for (const [index, file] of files.entries()) {
      const known = record.hashes[index];
      if (known) hashes.remember(file, known);
    }
    return hashes;
  }

  #mirror({ status, receivers, failedAttempts, relay }: HostState): void {
    this.status = status;
    this.receivers = receivers;
    this.failedAttempts = failedAttempts;
    this.relay = relay;
  }

  /** A receiver has every file: the person hears of it, and the share's life may end with it. */
  #finished(row: ReceiverRow): void {
    this.#noteReceiver(row.id, true);
    void notifyIfHidden(i18n.t.notify.sentTitle, i18n.t.notify.sentBody(receiverLabel(row)));
    // The first complete download ends the link for everyone else.
    if (this.#record && endsAfterDownload(this.#record)) this.#endLink({ reason: 'expired', at: Date.now() });
  }

  /** What the page shows of the record's life. */
  #showLife(record: ShareRecord): void {
    this.ended = record.ended ?? null;
    this.expiry = record.expiry ?? null;
    this.sentTo = (record.receivers ?? []).filter((receiver) => receiver.done).length;
  }

  /**
   * The link is dead from now on: recorded (it stays dead after a reload), and every
   * connected receiver told. The page stays registered, so later ones are told too.
   */
  #endLink(end: ShareEnd): void {
    const record = this.#record;
    if (!record) return;
    clearTimeout(this.#lifeTimer);
    if (!record.ended) {
      record.ended = end;
      void this.#persist();
    }
    this.ended = record.ended;
    this.#host?.endAll(record.ended.reason);
  }

  /**
   * Ends the link when its time is up. By the wall clock, checked at least every
   * LIFE_CHECK_MS: timers stop while a laptop sleeps or a phone freezes the page.
   */
  #watchLife(): void {
    clearTimeout(this.#lifeTimer);
    const record = this.#record;
    this.now = Date.now();
    if (!record) return;
    const end = endOf(record, this.now);
    if (end) return this.#endLink(end);
    const left = untilExpiry(record, this.now);
    if (left !== null) this.#lifeTimer = setTimeout(() => this.#watchLife(), Math.min(left, LIFE_CHECK_MS));
  }

  /** Asked by each connection once its receiver proves the link: is the link dead? (The clock may say so first.) */
  #deadReason(record: ShareRecord): EndReason | null {
    const end = endOf(record, Date.now());
    if (end && record === this.#record) this.#endLink(end);
    return end?.reason ?? null;
  }

  /** Keeps who started and who finished, so a reload knows whether the share is finished. */
  #noteReceiver(session: string, done: boolean): void {
    const record = this.#record;
    const receivers = record && noteReceiver(record.receivers ?? [], session, done);
    if (!record || !receivers) return;
    record.receivers = receivers;
    this.sentTo = receivers.filter((receiver) => receiver.done).length;
    void this.#persist();
  }

  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Saves the share within a second. For hashes, which come one per file (10,000 in a
   * few seconds) and only spare a reloaded page from hashing those files again.
   */
  #persistSoon(): void {
    this.#saveTimer ??= setTimeout(() => {
      this.#saveTimer = undefined;
      void this.#persist();
    }, HASH_SAVE_DELAY_MS);
  }

  /** Saves the share as it is; asks that come while a save runs share the next one. */
  #persist = coalesced(async () => {
    if (!this.#record) return;
    try {
      await saveShare(this.#record);
    } catch (error) {
      // The share still works; only surviving a reload is lost.
      console.warn('cannot save the share', error);
    }
  });
}

/** What the person sending calls a receiver: its own description of its device, labelled as such, else "Receiver N". */
export function receiverLabel(row: ReceiverRow): string {
  return row.device === null ? i18n.t.send.receiver(row.number) : i18n.t.send.selfReported(row.device);
}

/** One share per page: it outlives switching views, e.g. opening one's own link. */
export const share = new Share();

// Closing the tab hangs up on every receiver at once, so they hear it now rather
// than when their connection times out. The share is kept for when the page returns.
addEventListener('pagehide', (event) => {
  if (!event.persisted) share.hangUp();
});
void share.restore();
