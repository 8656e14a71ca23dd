/**
 * A broker of our own for tests of sharing (session/share-host.ts and what builds on
 * it): registrations it refuses or drops at will, and connections whose channels are
 * the in-memory pair, with a real ReceiverSession at the far end. Time for the host's
 * own waits moves only when a test says so.
 */
import { peerIdFor } from '../../../app/src/common/broker-ids.ts';
import type {
  AdmitOffer,
  ConnectionListener,
  ConnectionPath,
  HostBroker,
  HostPeer,
  IncomingConnection,
  ReceiverChannel,
  PeerListener,
} from '../../../app/src/session/host-ports.ts';
import { newReceiverKey } from '../../../app/src/transfer/auth.ts';
import { FailureError, type Failure } from '../../../app/src/transfer/failure.ts';
import { ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { channelPair, type FakeChannel } from './fake-channel.ts';
import { memoryStore, type MemoryStore } from './memory-store.ts';
import { receiverPrints, senderPrints, type LinkKeys } from './transfer-harness.ts';

/** Lets everything already queued run: promise callbacks and the channels' deliveries. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Hands each value it is shown to whoever waits for one like it. */
export class Waiters<T> {
  readonly #waiting = new Set<{ predicate: (value: T) => boolean; resolve: (value: T) => void }>();

  until(predicate: (value: T) => boolean): Promise<T> {
    return new Promise((resolve) => this.#waiting.add({ predicate, resolve }));
  }

  show(value: T): void {
    for (const waiter of [...this.#waiting]) {
      if (!waiter.predicate(value)) continue;
      this.#waiting.delete(waiter);
      waiter.resolve(value);
    }
  }
}

export interface BrokerOptions {
  /** Refused registrations before one succeeds, by why the broker refused. */
  refusals?: Failure[];
  dialMs?: number;
  iceLifetimeMs?: number;
}

export class FakeBroker implements HostBroker {
  readonly dialMs: number;
  /** The latest registration. */
  peer!: FakePeer;
  attempts = 0;
  readonly #refusals: Failure[];
  readonly #iceLifetimeMs: number | null;

  constructor({ refusals = [], dialMs = 38_000, iceLifetimeMs }: BrokerOptions = {}) {
    this.#refusals = [...refusals];
    this.dialMs = dialMs;
    this.#iceLifetimeMs = iceLifetimeMs ?? null;
  }

  async newPeerId(token: string): Promise<string> {
    return peerIdFor('fake', token);
  }

  async register(_peerId: string, _token: string, admit: AdmitOffer): Promise<HostPeer> {
    this.attempts += 1;
    const refusal = this.#refusals.shift();
    if (refusal) throw new FailureError(refusal);
    this.peer = new FakePeer(admit, this.#iceLifetimeMs);
    return this.peer;
  }
}

export class FakePeer implements HostPeer {
  readonly relay = true;
  open = true;
  disconnected = false;
  destroyed = false;
  reconnects = 0;
  renewals = 0;
  #listener: PeerListener | null = null;

  constructor(
    readonly admit: AdmitOffer,
    readonly iceLifetimeMs: number | null,
  ) {}

  listen(listener: PeerListener): void {
    this.#listener = listener;
  }

  reconnect(): void {
    this.reconnects += 1;
    this.disconnected = false;
  }

  disconnect(): void {
    if (this.disconnected) return;
    this.drop();
  }

  async renewIce(): Promise<void> {
    this.renewals += 1;
  }

  destroy(): void {
    this.destroyed = true;
    this.open = false;
  }

  /** A receiver offers `connection`. */
  offer(connection: FakeConnection): FakeConnection {
    this.#listener!.connection(connection);
    return connection;
  }

  /** The broker connection drops. */
  drop(): void {
    this.open = false;
    this.disconnected = true;
    this.#listener!.disconnected();
  }

  /** The broker takes the id back. */
  reopen(): void {
    this.open = true;
    this.disconnected = false;
    this.#listener!.open();
  }

  /** The broker connection fails. */
  error(): void {
    this.#listener!.error();
  }
}

let connectionIds = 0;

/** An offered connection over the in-memory channel pair: `near` is the host's end, `far` the receiver's. */
export class FakeConnection implements IncomingConnection {
  readonly near: FakeChannel;
  readonly far: FakeChannel;
  iceStarted = false;
  closed = false;
  /** Set: describe() never answers, as when a session description is slow to come. */
  stalls = false;
  #listener: ConnectionListener | null = null;
  #onpath: ((path: ConnectionPath) => void) | null = null;

  constructor(
    readonly source = 'receiver-broker-id',
    readonly connectionId = `dc_${++connectionIds}`,
  ) {
    [this.near, this.far] = channelPair();
    this.near.addEventListener('close', () => this.close());
  }

  listen(listener: ConnectionListener): void {
    this.#listener = listener;
  }

  describe(): Promise<ReceiverChannel> {
    if (this.stalls) return new Promise(() => {});
    const watchPath = (onpath: (path: ConnectionPath) => void) => void (this.#onpath = onpath);
    return Promise.resolve({ channel: this.near, maxMessageSize: this.near.maxMessageSize, fingerprints: senderPrints, watchPath });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.near.close();
    this.#listener?.close();
  }

  /** Its channel opens. */
  opens(): this {
    this.#listener!.open();
    return this;
  }

  /** ICE found no path. */
  fails(): void {
    this.iceStarted = true;
    this.#listener!.failed();
  }

  /** ICE settled on `path`. */
  takes(path: ConnectionPath): void {
    this.#onpath!(path);
  }

  /** The network goes once `bytes` have left the host's end. */
  cutAfter(bytes: number): void {
    const send = this.near.send.bind(this.near);
    let sent = 0;
    this.near.send = (frame) => {
      send(frame);
      if ((sent += frame.byteLength) >= bytes) this.near.drop();
    };
  }
}

export interface Receiver {
  /** What it stored, once it had the list of files. */
  store: () => MemoryStore;
  /** Resolves with its snapshot once it has stopped: done, failed or told the link ended. */
  settled: Promise<ReceiverSnapshot>;
  /** The session itself, to type a password into. */
  session: ReceiverSession;
  /** Resolves with its next snapshot for which `predicate` holds. */
  until(predicate: (snapshot: ReceiverSnapshot) => boolean): Promise<ReceiverSnapshot>;
}

export interface ReceiveOptions {
  /** Its transfer, by a name of the test's: the same name, the same receiver key on each of its connections. */
  transfer?: string;
  store?: MemoryStore;
  secret?: string;
  /** Chooses Download as soon as it sees the files. */
  download?: boolean;
}

/** Each named transfer's receiver key (auth.ts newReceiverKey), so that a receiver named again is the same receiver. */
const receiverKeys = new Map<string, string>();

function receiverKeyFor(transfer: string | undefined): string {
  if (transfer === undefined) return newReceiverKey();
  const key = receiverKeys.get(transfer) ?? newReceiverKey();
  receiverKeys.set(transfer, key);
  return key;
}

/** A receiver at the far end of `connection`, holding the link `keys` make. */
export function receive(connection: FakeConnection, keys: LinkKeys, options: ReceiveOptions = {}): Receiver {
  let store = options.store;
  const snapshots = new Waiters<ReceiverSnapshot>();
  const settled = snapshots.until((snapshot) => ['done', 'error', 'ended'].includes(snapshot.state));
  const session: ReceiverSession = new ReceiverSession({
    channel: connection.far,
    maxMessageSize: connection.far.maxMessageSize,
    fingerprints: receiverPrints,
    secret: options.secret ?? keys.secret,
    senderKey: keys.senderKey,
    receiverKey: receiverKeyFor(options.transfer),
    device: 'Test phone',
    openStore: async (files) => (store ??= memoryStore(files)),
    onchange: (snapshot) => {
      if (snapshot.state === 'waiting' && options.download !== false) void session.download();
      snapshots.show(snapshot);
    },
  });
  void session.start();
  return { store: () => store!, settled, session, until: (predicate) => snapshots.until(predicate) };
}
