/**
 * The sending side's state: one share (a set of files behind one link) and the
 * receivers connected to it. Each receiver gets its own SenderSession; they share
 * the file hashes, so a file is hashed once however many people download it.
 */
import type Peer from 'peerjs';
import type { DataConnection } from 'peerjs';
import { Admission, ADMISSION, type Seat } from '../net/admission.ts';
import { BrokerError, describeConnection, fetchClientConfig, newBrokerToken, openPeer, type ClientConfig } from '../net/broker.ts';
import { watchPath, type ConnectionPath } from '../net/connection-path.ts';
import { DIAL_TIMES, hasRelay } from '../net/dial.ts';
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
import { newSenderKeys, passwordKey, verifyOfferTicket } from '../transfer/auth.ts';
import { newPeerId, newSecret, shareLink } from '../transfer/link.ts';
import { SenderSession, type FileSource, type SenderSnapshot, type SenderState } from '../transfer/sender.ts';
import { OPEN_GATE, ShareGate } from '../transfer/share-gate.ts';
import type { Phrase } from './i18n/en.ts';
import { errorText } from './i18n/errors.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { notifyIfHidden } from './notify.ts';

export interface ReceiverRow {
  id: string;
  /** Receivers are numbered in the order they arrived: "Receiver 2". */
  number: number;
  /** How the receiver describes its device (self-reported, cleaned), if it did. */
  device: string | null;
  snapshot: SenderSnapshot;
  /** File payload bytes sent to this receiver over all its connections. */
  sentBytes: number;
  /** Which way the bytes travel on its latest connection. */
  path: ConnectionPath | null;
}

export type BrokerStatus = 'idle' | 'starting' | 'online' | 'reconnecting' | 'needs-files' | 'error';

const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000];
/** After a reload the broker may not yet have noticed the old page left. */
const ID_TAKEN_RETRIES = 5;
/**
 * An incoming connection not open by then found no network path. The receiver gives
 * up after DIAL_TIMES.totalMs from its own start; its offer reaches us a little later.
 */
const INCOMING_DEADLINE_MS = DIAL_TIMES.totalMs;
/** How often a waiting share checks whether its TURN credentials need renewing. */
const RENEW_CHECK_MS = 60_000;
/** How often the expiry is checked against the clock (and "Expires in …" brought up to date). */
const LIFE_CHECK_MS = 30_000;
/** Hashes learned while sending are saved with the share at most this often. */
const HASH_SAVE_DELAY_MS = 1000;

/** A session in one of these states is over: its connection is let go of. */
const over = (state: SenderState) => state === 'done' || state === 'error' || state === 'ended';

interface Live {
  connection: DataConnection;
  /** Its place among the connections that have not proved the link (admission.ts). */
  seat: Seat;
  /** Once its channel is open and described. */
  session: SenderSession | null;
  /** The receiver row it feeds, once the receiver proved the link. */
  row: string | null;
  path: ConnectionPath | null;
  /** Aborted when the connection ends: stops its path watching. */
  done: AbortController;
}

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
  #peer: Peer | null = null;
  #hashes = new FileHashes();
  #gate = new ShareGate();
  #count = 0;
  /** Bytes sent to each receiver on connections that have ended. */
  #sentBefore = new Map<string, number>();
  /** Connections not yet ended, by id: the row each feeds, its path, and what to stop when it ends. */
  #live = new Map<string, Live>();
  /** Caps and times out the connections that have not proved the link. */
  #admission = new Admission({ ...ADMISSION, dialMs: INCOMING_DEADLINE_MS });
  #refresh: ReturnType<typeof setInterval> | undefined;
  #lifeTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnects = 0;

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
    this.#sentBefore.clear();
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
    const sessions = [...this.#live.values()].map((live) => live.session);
    for (const live of [...this.#live.values()]) this.#forget(live);
    clearInterval(this.#refresh);
    for (const session of sessions) session?.close();
    this.#admission.clear();
    this.#peer?.destroy();
    this.#peer = null;
  }

  /**
   * Turns "ask me first" on or off while sharing. Turned off, it lets in whoever is
   * waiting for an answer.
   */
  setAskFirst(on: boolean): void {
    this.askFirst = on;
    this.#gate.askFirst = on;
    if (!on) for (const live of this.#live.values()) void live.session?.allow();
  }

  /** The person's answer for a receiver waiting for approval (by its row). */
  decide(row: string, allow: boolean): void {
    for (const live of this.#live.values()) {
      if (live.row !== row || !live.session) continue;
      void (allow ? live.session.allow() : live.session.decline());
    }
  }

  #showGate(record: ShareRecord): void {
    this.askFirst = record.gate?.askFirst ?? false;
    this.locked = record.gate?.passwordKey != null;
  }

  async #open(record: ShareRecord, files: readonly FileSource[]): Promise<void> {
    this.files = files;
    this.missing = [];
    this.status = 'starting';
    // Who passed the gate is saved with the share, so a reload does not ask them again.
    this.#gate = new ShareGate(record.gate ?? OPEN_GATE, (settings) => {
      record.gate = settings;
      void this.#persist();
    });
    this.#showGate(record);
    const indexes = new Map(files.map((file, index) => [file, index]));
    this.#hashes = new FileHashes((file, sha256) => {
      const index = indexes.get(file);
      if (index === undefined || record.hashes[index] === sha256) return;
      record.hashes[index] = sha256;
      this.#persistSoon();
    });
    // Known from before a reload (and checked against the files just added): no need
    // to read them again, and receivers' manifests carry them from the start.
    for (const [index, file] of files.entries()) {
      const known = record.hashes[index];
      if (known) this.#hashes.remember(file, known);
    }
    try {
      if (record.brokerToken === undefined) {
        record.brokerToken = newBrokerToken();
        await this.#persist();
      }
      const config = await fetchClientConfig(location.origin);
      const peer = await this.#register(record, record.brokerToken, config);
      if (this.#record !== record) return peer.destroy(); // replaced while we waited
      this.#peer = peer;
      this.relay = hasRelay(config);
      this.#keepFresh(peer, config);
      this.link = shareLink(location.origin, record);
      this.status = 'online';
      this.#watchLife();
      peer.on('connection', (connection) => this.#accept(connection, record));
      peer.on('disconnected', () => this.#reconnect(peer));
      peer.on('open', () => {
        this.status = 'online';
        this.#reconnects = 0;
      });
      peer.on('error', (error) => {
        // Errors about one receiver's connection are that session's business.
        if (error.type === 'peer-unavailable' || error.type === 'webrtc') return;
        if (!peer.open) this.#reconnect(peer);
      });
    } catch (error) {
      this.status = 'error';
      this.error = errorText(error);
    }
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
    for (const live of this.#live.values()) void live.session?.end(record.ended.reason);
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

  async #register({ peerId, secret }: ShareRecord, token: string, config: ClientConfig): Promise<Peer> {
    // Only offers from holders of the link build a connection (net/peer-guard.ts).
    const admit = (src: string, connectionId: string, ticket: string) => verifyOfferTicket(secret, src, connectionId, ticket);
    for (let attempt = 1; ; attempt++) {
      try {
        return await openPeer(location.origin, config, peerId, token, admit);
      } catch (error) {
        if (!(error instanceof BrokerError) || error.type !== 'unavailable-id' || attempt >= ID_TAKEN_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * 1000));
      }
    }
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

  #reconnect(peer: Peer): void {
    if (peer !== this.#peer || peer.destroyed || this.status === 'reconnecting') return;
    this.status = 'reconnecting';
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#reconnects, RECONNECT_DELAYS_MS.length - 1)];
    this.#reconnects += 1;
    setTimeout(() => {
      if (peer !== this.#peer || peer.destroyed) return;
      this.status = 'starting';
      if (peer.disconnected) peer.reconnect();
    }, delay);
  }

  /**
   * TURN credentials expire, and PeerJS builds each incoming connection from the
   * options it was given: renew them well before they lapse, for a page left open
   * for days waiting for its receivers.
   */
  #keepFresh(peer: Peer, config: ClientConfig): void {
    clearInterval(this.#refresh);
    const ttl = config.ttl;
    if (!ttl) return;
    let fetchedAt = Date.now();
    // By the wall clock, checked every minute: interval timers stop while a laptop
    // sleeps or a phone freezes the page, but the credentials' expiry does not.
    this.#refresh = setInterval(() => {
      if (peer !== this.#peer || Date.now() - fetchedAt < (ttl * 1000) / 2) return;
      fetchClientConfig(location.origin).then(
        (fresh) => {
          if (peer !== this.#peer) return;
          (peer.options.config as RTCConfiguration).iceServers = fresh.iceServers;
          fetchedAt = Date.now();
        },
        () => {}, // offline for now: tried again in a minute, long before expiry
      );
    }, RENEW_CHECK_MS);
  }

  /**
   * A connection that never opens found no network path: count it (ICE that never
   * started checking was not a path that failed — the receiver left first).
   */
  #countFailure(connection: DataConnection): void {
    if (!connection.open && connection.peerConnection?.iceConnectionState !== 'new') this.failedAttempts += 1;
  }

  /** Stops watching a connection that ended, and lets go of it. */
  #forget(live: Live): void {
    live.done.abort();
    live.seat.leave();
    const id = live.connection.connectionId;
    if (this.#live.get(id) === live) this.#live.delete(id);
  }

  /** Ends a connection that has not proved the link, at once. */
  #drop(live: Live): void {
    live.session?.close();
    live.connection.close();
    this.#forget(live);
  }

  #accept(connection: DataConnection, record: ShareRecord): void {
    const { secret, signingKey } = record;
    // The broker filter (peer-guard.ts) lets only raw connections through; what
    // follows depends on it. One connection per id keeps #live unambiguous.
    if (connection.serialization !== 'raw' || this.#live.has(connection.connectionId)) return connection.close();
    const seat = this.#admission.admit(connection.peer, (reason) => {
      if (reason === 'dial-timeout') this.#countFailure(connection);
      this.#drop(live);
    });
    if (!seat) return connection.close();
    const live: Live = { connection, seat, session: null, row: null, path: null, done: new AbortController() };
    this.#live.set(connection.connectionId, live);
    const signal = live.done.signal;
    connection.on('close', () => this.#forget(live));
    connection.on('error', (error) => {
      // ICE failed before the channel opened: PeerJS closes the connection without a
      // 'close'. (Once open, the channel's own end tells the session.)
      if (error.type !== 'negotiation-failed' || signal.aborted || connection.open) return;
      this.#countFailure(connection);
      this.#drop(live);
    });
    connection.on('open', () => {
      seat.opened();
      describeConnection(connection)
        .then((open) => {
          if (signal.aborted) return open.channel.close();
          watchPath(open.peerConnection, (path) => this.#setPath(live, path), signal);
          live.session = new SenderSession({
            channel: open.channel,
            maxMessageSize: open.maxMessageSize,
            fingerprints: open.fingerprints,
            secret,
            signingKey,
            files: this.files,
            gate: this.#gate,
            hashes: this.#hashes,
            ended: () => this.#deadReason(record),
            onchange: (snapshot) => this.#update(live, snapshot),
          });
          void live.session.start();
        })
        .catch((error: Error) => {
          console.warn(`a receiver could not connect: ${error.message}`);
          this.#drop(live);
        });
    });
  }

  /**
   * One row per receiver, not per connection: a receiver that reconnects names its
   * transfer in its hello, and its row carries on.
   */
  #update(live: Live, snapshot: SenderSnapshot): void {
    const ended = over(snapshot.state);
    // Past 'connecting', and not failed, the receiver has proved it holds the link.
    if (!ended && snapshot.state !== 'connecting') live.seat.proven();
    this.#show(live, snapshot);
    // Whether or not it ever proved the link: a session that ended is let go of.
    if (ended) this.#forget(live);
  }

  #show(live: Live, snapshot: SenderSnapshot): void {
    const id = snapshot.session ?? live.connection.connectionId;
    const at = this.receivers.findIndex((existing) => existing.id === id);
    // Only a receiver that proved it holds the link gets a row; anyone else saw nothing.
    // Nor does one told at once that the link is dead.
    if (at === -1 && (snapshot.state === 'connecting' || snapshot.state === 'error' || snapshot.state === 'ended')) return;
    live.row = id;
    const earlier = this.#sentBefore.get(id) ?? 0;
    const finished = snapshot.state === 'done' && this.receivers[at]?.snapshot.state !== 'done';
    const asking = snapshot.state === 'approval' && this.receivers[at]?.snapshot.state !== 'approval';
    const row: ReceiverRow = {
      id,
      number: at === -1 ? ++this.#count : this.receivers[at]!.number,
      device: snapshot.device ?? this.receivers[at]?.device ?? null,
      snapshot,
      sentBytes: earlier + snapshot.sentBytes,
      path: live.path ?? this.receivers[at]?.path ?? null,
    };
    if (over(snapshot.state)) this.#sentBefore.set(id, row.sentBytes);
    this.receivers = at === -1 ? [...this.receivers, row] : this.receivers.with(at, row);
    if (snapshot.state === 'transferring' || snapshot.state === 'done') this.#noteReceiver(id, snapshot.state === 'done');
    if (finished) {
      void notifyIfHidden(i18n.t.notify.sentTitle, i18n.t.notify.sentBody(receiverLabel(row)));
      // The first complete download ends the link for everyone else.
      if (this.#record && endsAfterDownload(this.#record)) this.#endLink({ reason: 'expired', at: Date.now() });
    }
    if (asking) void notifyIfHidden(i18n.t.notify.askTitle, i18n.t.notify.askBody(receiverLabel(row)));
  }

  #setPath(live: Live, path: ConnectionPath): void {
    live.path = path;
    const at = this.receivers.findIndex((row) => row.id === live.row);
    // Before the receiver proves the link there is no row; #show picks the path up then.
    if (at !== -1) this.receivers = this.receivers.with(at, { ...this.receivers[at]!, path });
  }
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
