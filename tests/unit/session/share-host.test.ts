/**
 * The share host over a broker of our own (support/fake-broker.ts): registrations it refuses
 * or drops at will, and connections whose channels are the in-memory pair, with a real
 * ReceiverSession at the far end. Time for the host's own waits moves only when a test
 * says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMISSION } from '../../../app/src/session/admission.ts';
import { IDLE_LIMITS_MS, RECEIVER_LIMITS, ReceiverSeats } from '../../../app/src/session/receiver-limits.ts';
import type { ReceiverRow } from '../../../app/src/session/receiver-rows.ts';
import { END_WAIT_MS, ID_TAKEN_RETRIES, RECONNECT_ATTEMPT_MS, RECONNECT_DELAYS_MS, RENEW_CHECK_MS, ShareHost, type HostState } from '../../../app/src/session/share-host.ts';
import { offerTicket, passwordKey } from '../../../app/src/transfer/auth.ts';
import { BLOCK_SIZE, blockDigest, type Digest } from '../../../app/src/transfer/block-tree.ts';
import { FileTrees } from '../../../app/src/transfer/file-trees.ts';
import type { Failure } from '../../../app/src/transfer/failure.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';
import { DEFAULT_WINDOW, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { PASSWORD_LIMITS, PasswordGuard } from '../../../app/src/transfer/password-guard.ts';
import { OPEN_GATE, ShareGate } from '../../../app/src/transfer/share-gate.ts';
import { FakeBroker, FakeConnection, receive, tick, Waiters, type Receiver } from '../support/fake-broker.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { newLinkKeys, randomFile, rootOf, type LinkKeys } from '../support/transfer-harness.ts';

const MiB = 1024 * 1024;
/** How the broker turns away an id an earlier registration still holds, and how it fails otherwise. */
const ID_TAKEN: Failure = { code: 'id-taken' };
const SERVER_LOST: Failure = { code: 'server-lost' };

/** The receiver among `receivers` that stops first, and how. */
function firstToSettle(receivers: Receiver[]): Promise<{ at: number; snapshot: ReceiverSnapshot }> {
  return Promise.race(receivers.map((receiver, at) => receiver.settled.then((snapshot) => ({ at, snapshot }))));
}

interface Hosted {
  host: ShareHost;
  broker: FakeBroker;
  clock: ManualClock;
  keys: LinkKeys;
  states: HostState[];
  started: ReceiverRow[];
  finished: ReceiverRow[];
  asking: ReceiverRow[];
  /** Resolves with the host's state once `predicate` holds for it. */
  until(predicate: (state: HostState) => boolean): Promise<HostState>;
}

let hosts: ShareHost[] = [];

afterEach(() => {
  for (const host of hosts) host.close();
  hosts = [];
});

interface HostOptions {
  broker?: FakeBroker;
  gate?: ShareGate;
  clock?: ManualClock;
  keys?: LinkKeys;
  trees?: FileTrees;
}

function hosting(files: FileSource[] = [], options: HostOptions = {}): Hosted {
  const broker = options.broker ?? new FakeBroker();
  const clock = options.clock ?? new ManualClock();
  const keys = options.keys ?? newLinkKeys();
  const states: HostState[] = [];
  const changes = new Waiters<HostState>();
  const hosted: Hosted = {
    broker,
    clock,
    keys,
    states,
    started: [],
    finished: [],
    asking: [],
    until: (predicate) => (predicate(hosted.host.state) ? Promise.resolve(hosted.host.state) : changes.until(predicate)),
    host: new ShareHost({
      broker,
      keys: { peerId: 'sender-id', brokerToken: 'token', ...keys },
      files,
      gate: options.gate ?? new ShareGate(),
      trees: options.trees ?? new FileTrees(),
      ended: () => null,
      clock,
      onchange: (state) => {
        states.push(state);
        changes.show(state);
      },
      onstarted: (row) => hosted.started.push(row),
      onfinished: (row) => hosted.finished.push(row),
      onasking: (row) => hosted.asking.push(row),
    }),
  };
  hosts.push(hosted.host);
  return hosted;
}

/** A host registered and online. */
async function online(files: FileSource[] = [], options: HostOptions = {}): Promise<Hosted> {
  const hosted = hosting(files, options);
  await hosted.host.open();
  return hosted;
}

/** What the first receiver's row shows. */
const rowState = (state: HostState) => state.receivers[0]?.snapshot.state;

/** A gate with "ask me first" on. */
const askFirst = () => new ShareGate({ ...OPEN_GATE, askFirst: true });

describe('a receiver', () => {
  it('that proves the link gets a row, which follows it to its last file', async () => {
    const file = randomFile('photo.jpg', 2 * MiB);
    const { host, broker, keys, until, started, finished } = await online([file]);
    const connection = broker.peer.offer(new FakeConnection()).opens();
    const receiver = receive(connection, keys);

    expect((await receiver.settled).state).toBe('done');
    const state = await until((state) => rowState(state) === 'done');
    expect(state.receivers).toHaveLength(1);
    expect(state.receivers[0]).toMatchObject({ number: 1, device: 'Test phone', sentBytes: file.size });
    expect(started.map((row) => row.id)).toEqual([state.receivers[0]!.id]);
    expect(finished.map((row) => row.id)).toEqual([state.receivers[0]!.id]);
    expect(host.state).toMatchObject({ status: 'online', relay: true, failedAttempts: 0 });
  });

  it('after another hashes nothing again: the share’s trees serve every receiver, and its list of files carries the root', async () => {
    const file = randomFile('photo.jpg', 2 * MiB);
    let blocksHashed = 0;
    // Counts the blocks the share's trees hash (leaves and inner nodes are 33 and 65 bytes).
    const digest: Digest = (bytes) => (bytes.length === BLOCK_SIZE && blocksHashed++, blockDigest(bytes));
    const { broker, keys } = await online([file], { trees: new FileTrees({ digest }) });
    const first = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    expect((await first.settled).state).toBe('done');
    const second = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    const done = await second.settled;
    expect(done.state).toBe('done');
    expect(done.files[0]!.root).toBe(await rootOf(file.bytes));
    expect(blocksHashed).toBe(file.size / BLOCK_SIZE);
  });

  it('being sent files holds the share’s background hashing of small files back until it is done (file-trees.ts)', async () => {
    const file = randomFile('photo.jpg', 2 * MiB);
    const trees = new FileTrees();
    const told: boolean[] = [];
    const tell = trees.transferring.bind(trees);
    trees.transferring = (on) => (told.push(on), tell(on));
    const { broker, keys, until } = await online([file], { trees });
    const receiver = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    expect((await receiver.settled).state).toBe('done');
    await until((state) => rowState(state) === 'done');
    // Each change once: not while it connects and waits, then while it is sent files, then not again.
    expect(told.filter((on, at) => at === 0 || on !== told[at - 1])).toEqual([false, true, false]);
  });

  it('that never proves the link gets no row, and its connection is let go of', async () => {
    const { broker, keys, states } = await online([randomFile('photo.jpg', 1024)]);
    const connection = broker.peer.offer(new FakeConnection()).opens();
    const receiver = receive(connection, keys, { secret: newSecret() });

    expect((await receiver.settled).state).toBe('error');
    await tick();
    expect(connection.closed).toBe(true);
    expect(states.flatMap((state) => state.receivers)).toEqual([]);
  });

  it('that reconnects keeps its row, and the bytes sent over both connections add up', async () => {
    const file = randomFile('movie.mp4', 2 * DEFAULT_WINDOW + MiB);
    const { broker, keys, until, started, finished } = await online([file]);
    const first = broker.peer.offer(new FakeConnection()).opens();
    // Past the receiver's first window, which it has then stored.
    first.cutAfter(DEFAULT_WINDOW + MiB);
    const dropped = receive(first, keys, { transfer: 'transfer-1' });
    expect((await dropped.settled).state).toBe('error');
    const cut = await until((state) => rowState(state) === 'error');
    const sentBefore = cut.receivers[0]!.sentBytes;
    expect(sentBefore).toBeGreaterThan(0);

    const second = broker.peer.offer(new FakeConnection()).opens();
    const resumed = receive(second, keys, { transfer: 'transfer-1', store: dropped.store() });
    expect((await resumed.settled).state).toBe('done');
    const state = await until((state) => rowState(state) === 'done');

    expect(state.receivers).toHaveLength(1);
    const [row] = state.receivers;
    expect(row!.number).toBe(1);
    // The second connection sent only what was missing, on top of what the first had.
    expect(row!.snapshot.sentBytes).toBeLessThan(file.size);
    expect(row!.sentBytes).toBe(sentBefore + row!.snapshot.sentBytes);
    expect(row!.sentBytes).toBeGreaterThanOrEqual(file.size);
    expect(started).toHaveLength(2);
    expect(finished).toHaveLength(1);
  });

  it('shows the path its connection takes, picked up when it proves the link and followed after', async () => {
    const { broker, keys, until } = await online([randomFile('notes.txt', 1024)]);
    const connection = broker.peer.offer(new FakeConnection()).opens();
    await tick();
    connection.takes({ kind: 'direct' });
    receive(connection, keys, { download: false });
    expect((await until((state) => rowState(state) === 'waiting')).receivers[0]!.path).toEqual({ kind: 'direct' });

    connection.takes({ kind: 'relay', relay: 'turn.example.org' });
    expect((await until((state) => state.receivers[0]!.path?.kind === 'relay')).receivers[0]!.path).toEqual({
      kind: 'relay',
      relay: 'turn.example.org',
    });
  });

  it('waiting for approval is asked about, and let in or turned away by its row', async () => {
    const { host, broker, keys, until, asking } = await online([randomFile('notes.txt', 1024)], { gate: askFirst() });
    const waiting = ['a', 'b', 'c'].map((source) => receive(broker.peer.offer(new FakeConnection(source)).opens(), keys));
    await until((state) => state.receivers.length === 3 && state.receivers.every((row) => row.snapshot.state === 'approval'));
    expect(asking).toHaveLength(3);

    host.decline(asking[0]!.id);
    const declined = await firstToSettle(waiting);
    expect(declined.snapshot).toMatchObject({ state: 'ended', ended: 'declined' });
    waiting.splice(declined.at, 1);
    host.allow(asking[1]!.id);
    const allowed = await firstToSettle(waiting);
    expect(allowed.snapshot.state).toBe('done');
    waiting.splice(allowed.at, 1);
    // "Ask me first" turned off: whoever is still waiting is let in.
    host.allowAll();
    expect((await waiting[0]!.settled).state).toBe('done');
  });
});

describe('what a receiver’s row says of it', () => {
  it('counts its wrong passwords, shows its lockout, and drops the lockout once it is over', async () => {
    const clock = new ManualClock();
    const guard = new PasswordGuard(PASSWORD_LIMITS, clock);
    const keys = newLinkKeys();
    const gate = new ShareGate({ ...OPEN_GATE, passwordKey: passwordKey(keys.secret, 'right') }, () => {}, guard);
    const { host, broker, until } = await online([randomFile('notes.txt', 1024)], { gate, clock, keys });
    const receiver = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    /** The receiver's next question for a password (the sender's answer to its last try). */
    const asked = () => receiver.until((snapshot) => snapshot.state === 'password' && !snapshot.gate?.checking);
    let answered = asked();
    await answered;
    expect(host.state.receivers[0]!.password).toBeNull();

    for (let wrong = 1; wrong <= PASSWORD_LIMITS.tries; wrong++) {
      answered = asked();
      await receiver.session.password(`guess ${wrong}`);
      await answered;
      expect(host.state.receivers[0]!.password?.wrong).toBe(wrong);
    }
    expect((await until(() => true)).receivers[0]!.password).toEqual({ wrong: PASSWORD_LIMITS.tries, lockedForMs: PASSWORD_LIMITS.lockoutMs });
    clock.advance(PASSWORD_LIMITS.lockoutMs);
    expect((await until(() => true)).receivers[0]!.password).toEqual({ wrong: PASSWORD_LIMITS.tries, lockedForMs: 0 });
  });

  it('says it left when its connection closes under it', async () => {
    const { broker, keys, until } = await online([randomFile('notes.txt', 1024)]);
    const connection = broker.peer.offer(new FakeConnection()).opens();
    receive(connection, keys, { download: false });
    await until((state) => rowState(state) === 'waiting');
    connection.far.close();
    const state = await until((state) => rowState(state) === 'error');
    expect(state.receivers[0]!.left).toBe(true);
  });
});

describe('ending the link', () => {
  it('endAll resolves once every receiver with a row has been told and its connection has closed', async () => {
    const { host, broker, keys, until } = await online([randomFile('notes.txt', 1024)]);
    const connections = ['a', 'b'].map((source) => broker.peer.offer(new FakeConnection(source)).opens());
    for (const connection of connections) receive(connection, keys, { download: false });
    await until((state) => state.receivers.length === 2 && state.receivers.every((row) => row.snapshot.state === 'waiting'));

    await host.endAll('stopped');
    expect(connections.map((connection) => connection.closed)).toEqual([true, true]);
  });

  it('endAll gives up waiting after END_WAIT_MS for a connection that never closes', async () => {
    const { host, broker, keys, until, clock } = await online([randomFile('notes.txt', 1024)]);
    const connection = broker.peer.offer(new FakeConnection()).opens();
    receive(connection, keys, { download: false });
    await until((state) => rowState(state) === 'waiting');
    // Its close never reaches the host.
    connection.close = () => {};
    let resolved = false;
    const ending = host.endAll('stopped').then(() => (resolved = true));
    await tick();
    expect(resolved).toBe(false);
    clock.advance(END_WAIT_MS);
    await ending;
  });

  it('endAll tells every receiver connected now, and their rows say so', async () => {
    const { host, broker, keys, until } = await online([randomFile('notes.txt', 1024)]);
    const receivers = ['a', 'b'].map((source) => receive(broker.peer.offer(new FakeConnection(source)).opens(), keys, { download: false }));
    await until((state) => state.receivers.length === 2 && state.receivers.every((row) => row.snapshot.state === 'waiting'));

    host.endAll('stopped');
    for (const receiver of receivers) expect(await receiver.settled).toMatchObject({ state: 'ended', ended: 'stopped' });
    const state = await until((state) => state.receivers.every((row) => row.snapshot.state === 'ended'));
    expect(state.receivers).toHaveLength(2);
  });

  it('close hangs up on every receiver and leaves the broker, and reports nothing after', async () => {
    const { host, broker, keys, until, states, asking } = await online([randomFile('notes.txt', 1024)], { gate: askFirst() });
    const receiver = receive(broker.peer.offer(new FakeConnection()).opens(), keys, { download: false });
    await until((state) => rowState(state) === 'approval');
    const reported = states.length;

    // Its session is still sending the list of files when the host closes.
    host.allow(asking[0]!.id);
    host.close();
    expect(broker.peer.destroyed).toBe(true);
    expect(await receiver.settled).toMatchObject({ state: 'error', disconnected: true });
    await tick();
    expect(states).toHaveLength(reported);
  });
});

describe('admission', () => {
  it('closes a connection offered while every seat holds one proving the link', async () => {
    const { broker } = await online();
    const seated = Array.from({ length: ADMISSION.seats }, (_, at) => {
      const connection = new FakeConnection(`receiver-${at}`);
      connection.stalls = true;
      return broker.peer.offer(connection).opens();
    });
    const late = broker.peer.offer(new FakeConnection('latecomer'));

    expect(late.closed).toBe(true);
    expect(seated.filter((connection) => connection.closed)).toEqual([]);
  });

  it('makes a flood from one broker identity displace only its own connections', async () => {
    const { broker } = await online();
    // Still dialling and the first to come: the one to go, were each connection counted on its own.
    const honest = broker.peer.offer(new FakeConnection('honest'));
    const flood = Array.from({ length: ADMISSION.seats }, () => broker.peer.offer(new FakeConnection('flooder')));

    expect(honest.closed).toBe(false);
    expect(flood.map((connection) => connection.closed)).toEqual([true, ...Array<boolean>(ADMISSION.seats - 1).fill(false)]);
  });

  it('closes a second connection under an id it already has', async () => {
    const { broker } = await online();
    const first = broker.peer.offer(new FakeConnection('a', 'dc_same'));
    const second = broker.peer.offer(new FakeConnection('b', 'dc_same'));
    expect([first.closed, second.closed]).toEqual([false, true]);
  });

  it('counts a connection that found no path, but not one left before ICE began', async () => {
    const { host, broker, clock } = await online([], { broker: new FakeBroker({ dialMs: 20 }) });
    broker.peer.offer(new FakeConnection('a')).fails();
    const abandoned = broker.peer.offer(new FakeConnection('b'));
    const silent = broker.peer.offer(new FakeConnection('c'));
    silent.iceStarted = true;
    clock.advance(19);
    expect([abandoned.closed, silent.closed]).toEqual([false, false]);
    // Both are given up when their dial time runs out.
    clock.advance(1);
    expect([abandoned.closed, silent.closed]).toEqual([true, true]);
    expect(host.state.failedAttempts).toBe(2);
    expect(host.state.receivers).toEqual([]);
  });
});

describe('the broker', () => {
  it('hands over an offer check that admits holders of the link only', async () => {
    const { broker, keys } = await online();
    expect(broker.peer.admit('them', 'dc_1', offerTicket(keys.secret, 'them', 'dc_1'))).toBe(true);
    expect(broker.peer.admit('them', 'dc_1', offerTicket(newSecret(), 'them', 'dc_1'))).toBe(false);
  });

  it('is asked again for an id an earlier registration still holds, and the host goes online', async () => {
    const { host, broker, clock } = hosting([], { broker: new FakeBroker({ refusals: [ID_TAKEN, ID_TAKEN] }) });
    const opening = host.open();
    for (let wait = 0; wait < 2; wait++) {
      await tick();
      clock.advance(clock.next!);
    }
    await opening;
    expect(broker.attempts).toBe(3);
    expect(host.state.status).toBe('online');
  });

  it('gives up on an id still held after ID_TAKEN_RETRIES attempts, with status error', async () => {
    const refusals = Array<Failure>(ID_TAKEN_RETRIES + 1).fill(ID_TAKEN);
    const { host, broker, clock, states } = hosting([], { broker: new FakeBroker({ refusals }) });
    const outcome = host.open().catch((error: unknown) => error);
    for (let wait = 0; wait < ID_TAKEN_RETRIES - 1; wait++) {
      await tick();
      clock.advance(clock.next!);
    }
    expect(await outcome).toMatchObject({ failure: ID_TAKEN });
    expect(broker.attempts).toBe(ID_TAKEN_RETRIES);
    expect(clock.next).toBeNull();
    expect(states.map((state) => state.status)).toEqual(['error']);
  });

  it('closed while it waits to ask again, lets go of the id it then gets and reports nothing', async () => {
    const { host, broker, clock, states } = hosting([], { broker: new FakeBroker({ refusals: [ID_TAKEN] }) });
    const opening = host.open();
    await tick();
    host.close();
    clock.advance(clock.next!);
    await opening;
    expect(broker.peer.destroyed).toBe(true);
    expect(states).toEqual([]);
  });

  it('is not asked again after any other refusal', async () => {
    const { host, broker } = hosting([], { broker: new FakeBroker({ refusals: [SERVER_LOST, SERVER_LOST] }) });
    await expect(host.open()).rejects.toMatchObject({ failure: SERVER_LOST });
    expect(broker.attempts).toBe(1);
    expect(host.state.status).toBe('error');
  });

  it('dropping the host makes it reconnect after a wait, and it is online again once it has the id back', async () => {
    const { host, broker, clock, states } = await online();
    const peer = broker.peer;
    peer.drop();
    expect(host.state.status).toBe('reconnecting');
    clock.advance(RECONNECT_DELAYS_MS[0]! - 1);
    expect(peer.reconnects).toBe(0);
    clock.advance(1);
    expect(peer.reconnects).toBe(1);
    peer.reopen();
    expect(states.map((state) => state.status)).toEqual(['online', 'reconnecting', 'starting', 'online']);

    // Back online, the next drop waits the shortest time again.
    peer.drop();
    clock.advance(RECONNECT_DELAYS_MS[0]!);
    expect(peer.reconnects).toBe(2);
  });

  it('told the server is back, tries at once instead of at the end of its wait, and only while it waits', async () => {
    const { host, broker, clock } = await online();
    const peer = broker.peer;
    host.reconnectNow();
    expect(peer.reconnects).toBe(0);
    // Several failed attempts in a row: the wait has grown to its longest.
    for (const delay of RECONNECT_DELAYS_MS) {
      peer.drop();
      clock.advance(delay);
    }
    peer.drop();
    const reconnects = peer.reconnects;
    expect(host.state.status).toBe('reconnecting');
    host.reconnectNow();
    expect(peer.reconnects).toBe(reconnects + 1);
    expect(host.state.status).toBe('starting');
    peer.reopen();
    expect(host.state.status).toBe('online');
    // The wait it no longer needs is gone.
    clock.advance(RECONNECT_DELAYS_MS.at(-1)!);
    expect(peer.reconnects).toBe(reconnects + 1);
  });

  it('gives up an attempt that hangs, and tries again after the next wait; one that failed leaves no deadline behind', async () => {
    const { host, broker, clock } = await online();
    const peer = broker.peer;
    peer.drop();
    clock.advance(RECONNECT_DELAYS_MS[0]!);
    expect(host.state.status).toBe('starting');
    clock.advance(RECONNECT_ATTEMPT_MS - 1);
    expect(host.state.status).toBe('starting');
    clock.advance(1);
    expect(host.state.status).toBe('reconnecting');
    clock.advance(RECONNECT_DELAYS_MS[1]!);
    expect(peer.reconnects).toBe(2);
    // This attempt fails at once; the next one must not be cut short by its deadline.
    peer.drop();
    clock.advance(RECONNECT_DELAYS_MS[2]!);
    expect(peer.reconnects).toBe(3);
    clock.advance(RECONNECT_ATTEMPT_MS - RECONNECT_DELAYS_MS[2]! + 1);
    expect(host.state.status).toBe('starting');
    peer.reopen();
    expect(clock.next).toBeNull();
  });

  it('failing while the host is not registered makes it reconnect; failing while it is changes nothing', async () => {
    const { host, broker } = await online();
    const peer = broker.peer;
    peer.error();
    expect(host.state.status).toBe('online');
    peer.open = false;
    peer.error();
    expect(host.state.status).toBe('reconnecting');
  });

  it('renews TURN credentials once half their lifetime has passed, and stops when closed', async () => {
    const lifetime = 10 * RENEW_CHECK_MS;
    const { host, broker, clock } = await online([], { broker: new FakeBroker({ iceLifetimeMs: lifetime }) });
    const peer = broker.peer;
    clock.advance(lifetime / 2 - RENEW_CHECK_MS);
    expect(peer.renewals).toBe(0);
    clock.advance(RENEW_CHECK_MS);
    expect(peer.renewals).toBe(1);
    await tick();
    // Counted from the renewal, not from the start.
    clock.advance(lifetime / 2 - RENEW_CHECK_MS);
    expect(peer.renewals).toBe(1);
    clock.advance(RENEW_CHECK_MS);
    expect(peer.renewals).toBe(2);

    host.close();
    expect(clock.next).toBeNull();
  });
});

describe('receivers that proved the link', () => {
  it('are served up to a bound per broker identity: the next is told in words that the share is busy, and gets no row', async () => {
    const { broker, keys, until } = await online([randomFile('a.txt', 10)]);
    const lookers = Array.from({ length: RECEIVER_LIMITS.perIdentity }, () =>
      receive(broker.peer.offer(new FakeConnection('one-identity')).opens(), keys, { download: false }),
    );
    for (const looker of lookers) await looker.until((snapshot) => snapshot.state === 'waiting');
    const turnedAway = receive(broker.peer.offer(new FakeConnection('one-identity')).opens(), keys);
    expect(await turnedAway.settled).toMatchObject({ state: 'ended', ended: 'busy', files: [] });
    // Another identity is served, and one that leaves makes room for the next.
    expect((await receive(broker.peer.offer(new FakeConnection('another')).opens(), keys).settled).state).toBe('done');
    lookers[0]!.session.close();
    await until((state) => state.receivers.filter((row) => row.snapshot.state === 'waiting').length === RECEIVER_LIMITS.perIdentity - 1);
    expect((await receive(broker.peer.offer(new FakeConnection('one-identity')).opens(), keys).settled).state).toBe('done');
    expect((await until((state) => state.receivers.length === RECEIVER_LIMITS.perIdentity + 2)).receivers).toHaveLength(RECEIVER_LIMITS.perIdentity + 2);
  });

  it('are served up to a bound per share, whatever their identities', () => {
    const seats = new ReceiverSeats();
    const taken = Array.from({ length: RECEIVER_LIMITS.perShare }, (_, at) => seats.take(`identity-${at}`));
    expect(taken.every(Boolean)).toBe(true);
    expect(seats.take('someone-new')).toBeNull();
    taken[7]!();
    taken[7]!();
    expect(seats.take('someone-new')).not.toBeNull();
    expect(seats.take('someone-else')).toBeNull();
  });

  it('that wait at the password for too long are told so and let go, and their row says it', async () => {
    const keys = newLinkKeys();
    const gate = new ShareGate({ ...OPEN_GATE, passwordKey: await passwordKey(keys.secret, 'pw') });
    const { broker, clock, until } = await online([randomFile('a.txt', 10)], { gate, keys });
    const receiver = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    await receiver.until((snapshot) => snapshot.state === 'password');
    await until((state) => rowState(state) === 'password');
    clock.advance(IDLE_LIMITS_MS.password! - 1);
    expect(receiver.session.snapshot.state).toBe('password');
    clock.advance(1);
    expect(await receiver.settled).toMatchObject({ state: 'ended', ended: 'timed-out' });
    expect((await until((state) => rowState(state) === 'ended')).receivers[0]!.snapshot.ended).toBe('timed-out');
  });

  it('that wait for approval, or hold the list of files without asking for any, are let go after their limits', async () => {
    const { broker, keys, clock, host, until } = await online([randomFile('a.txt', 10)], { gate: askFirst() });
    const asking = receive(broker.peer.offer(new FakeConnection('asking')).opens(), keys);
    await asking.until((snapshot) => snapshot.state === 'approval');
    const looking = receive(broker.peer.offer(new FakeConnection('looking')).opens(), keys, { download: false });
    const [, row] = (await until((state) => state.receivers.length === 2 && state.receivers[1]!.snapshot.state === 'approval')).receivers;
    host.allow(row!.id);
    await looking.until((snapshot) => snapshot.state === 'waiting');
    clock.advance(IDLE_LIMITS_MS.approval!);
    expect(await asking.settled).toMatchObject({ state: 'ended', ended: 'timed-out' });
    expect(looking.session.snapshot.state).toBe('waiting');
    clock.advance(IDLE_LIMITS_MS.waiting! - IDLE_LIMITS_MS.approval!);
    expect(await looking.settled).toMatchObject({ state: 'ended', ended: 'timed-out' });
  });
});

describe('a password try held while the share is guessed at', () => {
  it('is not let through when "ask me first" is turned off: only the person’s Allow on its row checks it', async () => {
    const keys = newLinkKeys();
    const guard = new PasswordGuard(PASSWORD_LIMITS, new ManualClock());
    for (let i = 0; i < PASSWORD_LIMITS.shareTries; i++) guard.attempt(`guesser-${i}`);
    const gate = new ShareGate({ ...OPEN_GATE, passwordKey: await passwordKey(keys.secret, 'pw'), askFirst: true }, () => {}, guard);
    const { broker, host, until } = await online([randomFile('a.txt', 10)], { gate, keys });
    const receiver = receive(broker.peer.offer(new FakeConnection()).opens(), keys);
    await receiver.until((snapshot) => snapshot.state === 'password');
    await receiver.session.password('pw');
    const [row] = (await until((state) => state.receivers[0]?.snapshot.held === true)).receivers;
    host.allowAll();
    // Allowing is synchronous up to remembering who was allowed: nobody was.
    expect(gate.settings.allowed).toEqual([]);
    host.allow(row!.id);
    expect((await receiver.settled).state).toBe('done');
  });
});
