/**
 * Hosting one share, in any front end: register the share's id with the broker and
 * keep it registered (through a reload that left the id held, a dropped broker
 * connection, TURN credentials that lapse), let in the connections that prove the
 * link a few at a time (admission.ts), serve a bounded number of those that did,
 * each for a bounded wait (receiver-limits.ts), run a SenderSession on each, and keep
 * one row per receiver across its reconnections.
 *
 * Free of frameworks and browser globals: the web page mirrors `state` into runes and
 * keeps the share's record, life and notifications; the terminal prints it; unit
 * tests drive it over in-memory channels. What the share is (its keys, files, gate,
 * trees, whether its link is dead) is the front end's to decide and pass in.
 */
import { Admission, ADMISSION, type Seat } from './admission.ts';
import { verifyOfferTicket } from '../transfer/auth.ts';
import { SYSTEM_CLOCK, type Clock } from '../transfer/clock.ts';
import type { FileTrees } from '../transfer/file-trees.ts';
import { carriedFailure } from '../transfer/failure.ts';
import type { EndReason } from '../transfer/messages.ts';
import type { FileSource } from '../transfer/file-source.ts';
import { SenderSession, type SenderSnapshot, type SenderState } from '../transfer/sender.ts';
import type { ShareGate } from '../transfer/share-gate.ts';
import { Deliveries } from './deliveries.ts';
import type { ConnectionPath, HostBroker, HostPeer, IncomingConnection } from './host-ports.ts';
import { IDLE_LIMITS_MS, ReceiverSeats } from './receiver-limits.ts';
import { isOver, ReceiverRows, type ReceiverRow } from './receiver-rows.ts';

/** Waits before each attempt in a row to get back to the broker; the last one repeats. */
export const RECONNECT_DELAYS_MS: readonly number[] = [1000, 2000, 5000, 10000];
/**
 * How long one attempt to get back to the broker may take before it is given up and
 * the next one scheduled: a connection towards a network that vanished without a
 * word can otherwise hang for minutes.
 */
export const RECONNECT_ATTEMPT_MS = 10_000;
/** After a reload the broker may not yet have noticed the old page left. */
export const ID_TAKEN_RETRIES = 5;
/** How often a waiting share checks whether its TURN credentials need renewing. */
export const RENEW_CHECK_MS = 60_000;
/**
 * How long endAll() waits for receivers to hear that the link ended: a receiver whose
 * connection stalls must not keep the person sending from moving on.
 */
export const END_WAIT_MS = 3000;

/** What makes a share's link work: the id receivers dial, and the keys they and the broker check. */
export interface ShareKeys {
  peerId: string;
  /** Proves to the broker that `peerId` is ours (common/broker-ids.ts). */
  brokerToken: string;
  /** The link's secret, which receivers prove. */
  secret: string;
  /** The private half of the link's sender key, which signs our proof. */
  signingKey: string;
}

export interface ShareHostOptions {
  broker: HostBroker;
  keys: ShareKeys;
  files: readonly FileSource[];
  /** A text shared beside the files (or alone); none: nothing. */
  text?: string | null;
  /** What receivers must do before they get the list of files. */
  gate: ShareGate;
  /**
   * Shared by every receiver, so a file is hashed once however many download it; told
   * while any receiver is being sent files, so that hashing in the background gives way.
   */
  trees: FileTrees;
  /** The files each receiver verified, over its connections (kept with the share); none: kept while open. */
  deliveries?: Deliveries;
  /** Asked once each receiver proves the link: why the link is dead, if it is. */
  ended: () => EndReason | null;
  /** How this device describes itself to receivers (self-reported), if at all. */
  device?: string | null;
  /** Something in the state changed. Never called after close(). */
  onchange: (state: HostState) => void;
  /** A receiver began getting files, or carries on after it reconnected. */
  onstarted?: (row: ReceiverRow) => void;
  /** A receiver has every file. */
  onfinished?: (row: ReceiverRow) => void;
  /** A receiver waits for the person sending to allow or decline it (allow(), decline()). */
  onasking?: (row: ReceiverRow) => void;
  clock?: Clock;
}

export type HostStatus = 'starting' | 'online' | 'reconnecting' | 'error';

export interface HostState {
  status: HostStatus;
  /** One per receiver that proved the link, in the order they arrived. */
  receivers: readonly ReceiverRow[];
  /** Connections that came in but found no network path (no proof possible: no row). */
  failedAttempts: number;
  /** Whether the server offers a TURN relay (shapes the advice after a failed attempt). */
  relay: boolean;
}

interface ServedConnection {
  connection: IncomingConnection;
  /** Its place among the connections that have not proved the link (admission.ts). */
  seat: Seat;
  /** The SenderSession serving it, once its channel is open and described. */
  sender: SenderSession | null;
  /** The receiver row it feeds, once the receiver proved the link. */
  row: string | null;
  path: ConnectionPath | null;
  /** Aborted when the connection ends: stops its path watching. */
  done: AbortController;
  /** Resolves once the connection itself has closed, its last messages delivered. */
  closed: Promise<void>;
  /** Resolves `closed`. */
  markClosed: () => void;
  /** Frees its place among the receivers served (receiver-limits.ts), once it proved the link and got one. */
  release: () => void;
  /** The state its receiver may wait in for a while (IDLE_LIMITS_MS), and the timer that ends the wait. */
  idle: { state: SenderState | null; stop: () => void };
}

export class ShareHost {
  readonly #options: ShareHostOptions;
  readonly #clock: Clock;
  #state: HostState = { status: 'starting', receivers: [], failedAttempts: 0, relay: false };
  #peer: HostPeer | null = null;
  #closed = false;
  readonly #rows = new ReceiverRows();
  /** Connections not yet ended, by id: the row each feeds, its path, and what to stop when it ends. */
  readonly #served = new Map<string, ServedConnection>();
  /** Caps and times out the connections that have not proved the link. */
  readonly #admission: Admission;
  /** Caps the connections that proved it, per share and per broker identity. */
  readonly #seats = new ReceiverSeats();
  readonly #deliveries: Deliveries;
  #reconnects = 0;
  #stopReconnect = () => {};
  #stopRenewing = () => {};
  readonly #stopWatchingPasswords: () => void;
  /** Per receiver row: cancels bringing its row up to date when its lockout ends. */
  readonly #lockoutEnds = new Map<string, () => void>();

  constructor(options: ShareHostOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#deliveries = options.deliveries ?? new Deliveries();
    this.#admission = new Admission({ ...ADMISSION, dialMs: options.broker.dialMs }, this.#clock);
    // The guard knows receivers by their keys, which are also their rows' ids.
    this.#stopWatchingPasswords = options.gate.guard.watch((receiver) => this.#showPasswords(receiver));
  }

  get state(): HostState {
    return this.#state;
  }

  /**
   * Registers the share with the broker and takes connections from then on. Resolves
   * once registered (or once closed meanwhile); rejects with why it could not be,
   * the status then being 'error'.
   */
  async open(): Promise<void> {
    let peer: HostPeer;
    try {
      peer = await this.#register();
    } catch (error) {
      if (this.#closed) return;
      this.#set({ status: 'error' });
      throw error;
    }
    if (this.#closed) return peer.destroy();
    this.#peer = peer;
    this.#keepFresh(peer);
    peer.listen({
      connection: (connection) => this.#accept(connection),
      open: () => {
        this.#stopReconnect();
        this.#reconnects = 0;
        this.#set({ status: 'online' });
      },
      disconnected: () => this.#reconnect(peer),
      error: () => {
        if (!peer.open) this.#reconnect(peer);
      },
    });
    this.#set({ status: 'online', relay: peer.relay });
  }

  /** Hangs up on every receiver and leaves the broker, for good: nothing is reported after this. */
  close(): void {
    this.#closed = true;
    this.#stopReconnect();
    this.#stopRenewing();
    this.#stopWatchingPasswords();
    for (const stop of this.#lockoutEnds.values()) stop();
    this.#lockoutEnds.clear();
    const senders = [...this.#served.values()].map((served) => served.sender);
    for (const served of [...this.#served.values()]) this.#forget(served);
    for (const sender of senders) sender?.close();
    this.#admission.clear();
    // Let go of it first: PeerJS reports 'disconnected' while it is being destroyed,
    // and that must not look like a broker to reconnect to.
    const peer = this.#peer;
    this.#peer = null;
    peer?.destroy();
  }

  /**
   * Tells every receiver connected now that the link ended (one still proving it, once
   * it has). Resolves once each receiver with a row has had the news and its connection
   * closed, or after END_WAIT_MS: closing the host sooner would cut the news off.
   */
  endAll(reason: EndReason): Promise<void> {
    const told = [...this.#served.values()].map((served) => {
      const ending = served.sender?.end(reason);
      return served.row === null ? ending : Promise.all([ending, served.closed]);
    });
    return new Promise<void>((resolve) => {
      const stop = this.#clock.after(END_WAIT_MS, resolve);
      void Promise.all(told).then(() => {
        stop();
        resolve();
      });
    });
  }

  /** The person allowed the receiver of `row`, waiting for approval: it gets the files. */
  allow(row: string): void {
    for (const sender of this.#sendersOf(row)) void sender.allow();
  }

  /** The person declined the receiver of `row`: it is told so, and hung up on. */
  decline(row: string): void {
    for (const sender of this.#sendersOf(row)) void sender.decline();
  }

  /**
   * Lets in every receiver waiting for approval ("ask me first" was turned off), but
   * not a password try held while the share is guessed at: each is the person's to let.
   */
  allowAll(): void {
    for (const served of this.#served.values()) if (served.sender && !served.sender.snapshot.held) void served.sender.allow();
  }

  #sendersOf(row: string): SenderSession[] {
    return [...this.#served.values()].flatMap((served) => (served.row === row && served.sender ? [served.sender] : []));
  }

  #set(change: Partial<HostState>): void {
    this.#state = { ...this.#state, ...change };
    this.#options.onchange(this.#state);
  }

  async #register(): Promise<HostPeer> {
    const { peerId, brokerToken, secret } = this.#options.keys;
    // Only offers from holders of the link build a connection (net/peer-guard.ts).
    const admit = (src: string, connectionId: string, ticket: string) => verifyOfferTicket(secret, src, connectionId, ticket);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#options.broker.register(peerId, brokerToken, admit);
      } catch (error) {
        if (!isIdTaken(error) || attempt >= ID_TAKEN_RETRIES || this.#closed) throw error;
        await new Promise<void>((resolve) => this.#clock.after(attempt * 1000, resolve));
      }
    }
  }

  /**
   * The front end heard the server is back before the next attempt was due (the
   * wait grows to 10 s): try again now. Nothing happens unless one is waiting.
   */
  reconnectNow(): void {
    const peer = this.#peer;
    if (!peer || this.#state.status !== 'reconnecting') return;
    this.#stopReconnect();
    this.#reconnects = 0;
    this.#attemptReconnect(peer);
  }

  #reconnect(peer: HostPeer): void {
    if (peer !== this.#peer || peer.destroyed || this.#state.status === 'reconnecting') return;
    this.#set({ status: 'reconnecting' });
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#reconnects, RECONNECT_DELAYS_MS.length - 1)]!;
    this.#reconnects += 1;
    this.#stopReconnect(); // the failed attempt's deadline
    this.#stopReconnect = this.#clock.after(delay, () => this.#attemptReconnect(peer));
  }

  /** One attempt; a failure reports 'error' or 'disconnected', which schedules the next. */
  #attemptReconnect(peer: HostPeer): void {
    if (peer !== this.#peer || peer.destroyed) return;
    this.#set({ status: 'starting' });
    if (peer.disconnected) peer.reconnect();
    this.#stopReconnect = this.#clock.after(RECONNECT_ATTEMPT_MS, () => {
      if (peer === this.#peer && !peer.destroyed && !peer.open) peer.disconnect();
    });
  }

  /**
   * TURN credentials expire, and each incoming connection is built with the ICE
   * servers the peer holds: renew them well before they lapse, for a share left open
   * for days waiting for its receivers.
   */
  #keepFresh(peer: HostPeer): void {
    const lifetime = peer.iceLifetimeMs;
    if (!lifetime) return;
    let renewedAt = this.#clock.now();
    // By the wall clock, checked every minute: timers stop while a laptop sleeps or a
    // phone freezes the page, but the credentials' expiry does not.
    const check = () => {
      this.#stopRenewing = this.#clock.after(RENEW_CHECK_MS, check);
      if (this.#clock.now() - renewedAt < lifetime / 2) return;
      peer.renewIce().then(
        () => (renewedAt = this.#clock.now()),
        () => {}, // offline for now: tried again in a minute, long before expiry
      );
    };
    this.#stopRenewing = this.#clock.after(RENEW_CHECK_MS, check);
  }

  /**
   * A connection that never opens found no network path: count it (ICE that never
   * started checking was not a path that failed — the receiver left first).
   */
  #countFailure(connection: IncomingConnection): void {
    if (connection.iceStarted) this.#set({ failedAttempts: this.#state.failedAttempts + 1 });
  }

  /** Stops watching a connection that ended, and lets go of it. */
  #forget(served: ServedConnection): void {
    served.done.abort();
    served.seat.leave();
    served.release();
    served.idle.stop();
    const id = served.connection.connectionId;
    if (this.#served.get(id) === served) this.#served.delete(id);
    this.#noteTransfers();
  }

  /** Ends a connection that has not proved the link, at once. */
  #closeConnection(served: ServedConnection): void {
    served.sender?.close();
    served.connection.close();
    this.#forget(served);
  }

  #accept(connection: IncomingConnection): void {
    // One connection per id keeps #served unambiguous.
    if (this.#served.has(connection.connectionId)) return connection.close();
    const seat = this.#admission.admit(connection.source, (reason) => {
      if (reason === 'dial-timeout') this.#countFailure(connection);
      this.#closeConnection(served);
    });
    if (!seat) return connection.close();
    let markClosed = () => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const served: ServedConnection = {
      connection,
      seat,
      sender: null,
      row: null,
      path: null,
      done: new AbortController(),
      closed,
      markClosed,
      release: () => {},
      idle: { state: null, stop: () => {} },
    };
    this.#served.set(connection.connectionId, served);
    connection.listen({
      open: () => this.#serve(served),
      close: () => {
        served.markClosed();
        this.#forget(served);
      },
      failed: () => {
        if (served.done.signal.aborted) return;
        this.#countFailure(connection);
        this.#closeConnection(served);
      },
    });
  }

  /** Its channel opened: a SenderSession of its own takes the receiver from its proof to its last file. */
  #serve(served: ServedConnection): void {
    const signal = served.done.signal;
    served.seat.opened();
    served.connection
      .describe()
      .then((opened) => {
        if (signal.aborted) return opened.channel.close();
        opened.watchPath((path) => this.#setPath(served, path), signal);
        const { files, text, gate, trees, ended, keys, device } = this.#options;
        served.sender = new SenderSession({
          channel: opened.channel,
          maxMessageSize: opened.maxMessageSize,
          fingerprints: opened.fingerprints,
          lanes: opened.lanes,
          secret: keys.secret,
          signingKey: keys.signingKey,
          files,
          text,
          gate,
          trees,
          delivery: (receiverKey) => this.#deliveries.of(receiverKey),
          // Asked once the receiver proves the link: a dead link first, then whether there is room for it.
          ended: () => ended() ?? this.#takeSeat(served),
          device,
          onchange: (snapshot) => this.#update(served, snapshot),
        });
        void served.sender.start();
      })
      .catch((error: Error) => {
        console.warn(`a receiver could not connect: ${error.message}`);
        this.#closeConnection(served);
      });
  }

  /** A place for `served`'s receiver among those served, or 'busy' when the share or its broker identity has none left. */
  #takeSeat(served: ServedConnection): EndReason | null {
    const release = this.#seats.take(served.connection.source);
    if (!release) return 'busy';
    served.release = release;
    return null;
  }

  /** Ends the wait of `served`'s receiver in `state` after its limit, if it is one to wait in. */
  #watchIdle(served: ServedConnection, state: SenderState): void {
    if (served.idle.state === state) return;
    served.idle.stop();
    const limit = IDLE_LIMITS_MS[state];
    const stop = limit === undefined ? () => {} : this.#clock.after(limit, () => void served.sender?.end('timed-out'));
    served.idle = { state, stop };
  }

  #update(served: ServedConnection, snapshot: SenderSnapshot): void {
    if (this.#closed) return;
    this.#watchIdle(served, snapshot.state);
    const over = isOver(snapshot.state);
    // Past 'connecting', and not failed, the receiver has proved it holds the link.
    if (!over && snapshot.state !== 'connecting') served.seat.proven();
    this.#show(served, snapshot);
    // Whether or not it ever proved the link: a session that ended is let go of.
    if (over) this.#forget(served);
    else this.#noteTransfers();
  }

  /**
   * Tells the share's trees whether any receiver is being sent files now: the
   * background hashing then leaves the small files to the transfer's own reads.
   */
  #noteTransfers(): void {
    const transferring = [...this.#served.values()].some((served) => served.sender?.snapshot.state === 'transferring');
    this.#options.trees.transferring(transferring);
  }

  #show(served: ServedConnection, snapshot: SenderSnapshot): void {
    // A receiver without a key is known by its connection, named so that no key (base64url, no spaces) can be taken for it.
    const id = snapshot.receiverKey ?? `connection ${served.connection.connectionId}`;
    // A session that fails after its connection closed was left by its receiver.
    const left = snapshot.state === 'error' && served.done.signal.aborted;
    const shown = this.#rows.show(id, served.connection.connectionId, snapshot, served.path, left);
    if (!shown) return;
    served.row = id;
    if (shown.before === null) this.#rows.setPassword(id, this.#options.gate.guard.tally(id));
    this.#set({ receivers: this.#rows.all });
    const { row, before } = shown;
    const { state } = row.snapshot;
    if (state === before) return;
    if (state === 'transferring') this.#options.onstarted?.(row);
    if (state === 'done') {
      this.#deliveries.forget(row.id);
      this.#options.onfinished?.(row);
    }
    if (state === 'approval') this.#options.onasking?.(row);
  }

  /** Shows `receiver`'s wrong passwords on its row, and again once its lockout is over. */
  #showPasswords(receiver: string): void {
    if (this.#closed) return;
    const tally = this.#options.gate.guard.tally(receiver);
    this.#lockoutEnds.get(receiver)?.();
    this.#lockoutEnds.delete(receiver);
    if (tally && tally.lockedForMs > 0) {
      this.#lockoutEnds.set(
        receiver,
        this.#clock.after(tally.lockedForMs, () => {
          this.#lockoutEnds.delete(receiver);
          this.#showPasswords(receiver);
        }),
      );
    }
    if (this.#rows.setPassword(receiver, tally)) this.#set({ receivers: this.#rows.all });
  }

  #setPath(served: ServedConnection, path: ConnectionPath): void {
    served.path = path;
    // Before the receiver proves the link there is no row; #show picks the path up then.
    if (served.row !== null && this.#rows.setPath(served.row, path)) this.#set({ receivers: this.#rows.all });
  }
}

/** The broker refused the id because an earlier registration still holds it (HostBroker.register). */
function isIdTaken(error: unknown): boolean {
  return carriedFailure(error)?.code === 'id-taken';
}
