import { describe, expect, it } from 'vitest';
import { newReceiverKey, passwordKey, provePassword, proveReceiver, proveReceiverKey, verifyPassword, type Fingerprints } from '../../../app/src/transfer/auth.ts';
import { encodeControl, FrameDecoder } from '../../../app/src/transfer/frames.ts';
import { PROTOCOL_VERSION, type ControlMessage, type Message } from '../../../app/src/transfer/messages.ts';
import { PASSWORD_LIMITS, PasswordGuard } from '../../../app/src/transfer/password-guard.ts';
import { SenderSession, type SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import { ShareGate, type GateSettings } from '../../../app/src/transfer/share-gate.ts';
import { connectionPrints, newLinkKeys, randomFile, receiverPrints, senderPrints, wire, type LinkKeys, type Wired } from '../support/transfer-harness.ts';
import { channelPair, type FakeChannel } from '../support/fake-channel.ts';
import { ManualClock } from '../support/manual-clock.ts';

const PASSWORD = 'correct horse';

describe('the password proof', () => {
  it('verifies for the right password and not for a wrong one', async () => {
    const { secret } = newLinkKeys();
    const key = await passwordKey(secret, PASSWORD);
    const right = await provePassword(await passwordKey(secret, PASSWORD), receiverPrints);
    const wrong = await provePassword(await passwordKey(secret, 'correct horse '), receiverPrints);
    expect(await verifyPassword(key, senderPrints, right)).toBe(true);
    expect(await verifyPassword(key, senderPrints, wrong)).toBe(false);
    expect(await verifyPassword(key, senderPrints, 'not base64url!')).toBe(false);
  });

  it('fails when replayed on another connection', async () => {
    const { secret } = newLinkKeys();
    const key = await passwordKey(secret, PASSWORD);
    const proof = await provePassword(key, receiverPrints);
    const other = { local: senderPrints.local, remote: 'sha-256 44:55:66' };
    expect(await verifyPassword(key, other, proof)).toBe(false);
  });

  it('fails when made from the sender’s side of the connection, or is the proof of the secret', async () => {
    const { secret } = newLinkKeys();
    const key = await passwordKey(secret, PASSWORD);
    // The same key and connection, but stated as the sender would (its own print first).
    expect(await verifyPassword(key, senderPrints, await provePassword(key, senderPrints))).toBe(false);
    expect(await verifyPassword(key, senderPrints, await proveReceiver(secret, receiverPrints))).toBe(false);
  });

  it('is worth nothing under another link, and the same password typed in another Unicode form is the same', async () => {
    const [a, b] = [newLinkKeys().secret, newLinkKeys().secret];
    expect(await passwordKey(a, PASSWORD)).not.toBe(await passwordKey(b, PASSWORD));
    expect(await passwordKey(a, 'caf\u00e9')).toBe(await passwordKey(a, 'cafe\u0301'));
  });
});

/** A share's gate, with a password and/or approval. */
async function gateOf(keys: LinkKeys, settings: Partial<GateSettings>, guard?: PasswordGuard): Promise<ShareGate> {
  const key = settings.passwordKey === undefined ? await passwordKey(keys.secret, PASSWORD) : settings.passwordKey;
  return new ShareGate({ passwordKey: key, askFirst: false, passed: [], allowed: [], ...settings }, () => {}, guard);
}

/** Every message the sender put on the channel, decoded. */
function heardFromSender(run: Wired): Message[] {
  return heardOn(run.receiverChannel);
}

/** Every message that arrives at `channel` from here on, decoded. */
function heardOn(channel: FakeChannel): Message[] {
  const heard: Message[] = [];
  const decoder = new FrameDecoder();
  channel.addEventListener('message', (event) => {
    const message = decoder.decode((event as Event & { data: ArrayBuffer }).data);
    if (message) heard.push(message);
  });
  return heard;
}

/** What a link holder says in its hello besides its proof of the secret, given its connection's fingerprints. */
type Says = (prints: Fingerprints) => Partial<Hello>;
type Hello = Extract<ControlMessage, { type: 'hello' }>;

/**
 * Another holder of the link, on a connection of its own: it proves the secret, as it
 * can, and says what `says` gives. Resolves once the sender has answered it, with the
 * sender's snapshot and the kinds of message it sent.
 */
async function anotherHolder(keys: LinkKeys, gate: ShareGate, says: Says): Promise<{ sender: SenderSnapshot; heard: Message['type'][] }> {
  const [senderChannel, channel] = channelPair();
  const { senderFingerprints, receiverFingerprints } = connectionPrints();
  const sender = new SenderSession({ channel: senderChannel, maxMessageSize: senderChannel.maxMessageSize, fingerprints: senderFingerprints, ...keys, files: [randomFile('a', 10)], gate });
  const heard = heardOn(channel);
  void sender.start();
  await expect.poll(() => heard.map((message) => message.type)).toEqual(['hello']);
  const hello: Hello = { type: 'hello', version: PROTOCOL_VERSION, ...says(receiverFingerprints), proof: proveReceiver(keys.secret, receiverFingerprints) };
  for (const frame of encodeControl(hello, channel.maxMessageSize)) channel.send(frame);
  // Its answer (a gate, the files, or why it hangs up) is the sender's next message.
  await expect.poll(() => heard.length).toBeGreaterThan(1);
  sender.close();
  return { sender: sender.snapshot, heard: heard.map((message) => message.type) };
}

/** A share with a password and "ask me first", and the hello of a receiver that gave the one and was allowed by the other. */
async function passedBoth(): Promise<{ keys: LinkKeys; gate: ShareGate; hello: Hello }> {
  const keys = newLinkKeys();
  const gate = await gateOf(keys, { askFirst: true });
  const first = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey() });
  const said = heardOn(first.senderChannel);
  await expect.poll(() => lastState(first)).toBe('password');
  await first.receiver.password(PASSWORD);
  await expect.poll(() => lastState(first)).toBe('approval');
  await first.sender.allow();
  expect((await first.settled).receiver.state).toBe('done');
  expect(gate.settings).toMatchObject({ passed: [first.sender.snapshot.receiverKey], allowed: [first.sender.snapshot.receiverKey] });
  const hello = said.find((message) => message.type === 'hello');
  if (hello?.type !== 'hello') throw new Error('the receiver said no hello');
  return { keys, gate, hello };
}

const lastState = (run: Wired) => run.receiver.snapshot.state;

describe('a share with a password', () => {
  it('asks for it before anything about the files, says how many tries are left, and lets the right one through', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, {});
    const run = wire([randomFile('secret-plans.pdf', 1000)], { keys, gate, receiverKey: newReceiverKey() });
    const heard = heardFromSender(run);
    await expect.poll(() => lastState(run)).toBe('password');
    expect(run.sender.snapshot.state).toBe('password');
    await run.receiver.password('wrong');
    await expect.poll(() => run.receiver.snapshot.gate).toEqual({ triesLeft: 4, retryInMs: null, checking: false });
    expect(lastState(run)).toBe('password');
    // Nothing about the files has crossed: no manifest, no names, no sizes.
    expect(heard.map((m) => m.type)).toEqual(['hello', 'gate', 'gate']);
    expect(run.receiver.snapshot.files).toEqual([]);
    await run.receiver.password(PASSWORD);
    const { receiver, sender } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(sender.state).toBe('done');
    expect(run.receiverSnapshots.map((s) => s.gate?.checking)).toContain(true);
    // Remembered for this receiver, by its key.
    expect(gate.settings.passed).toEqual([sender.receiverKey]);
  });

  it('does not ask a receiver that already gave it, when it reconnects', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, {});
    const receiverKey = newReceiverKey();
    const first = wire([randomFile('a', 10)], { keys, gate, receiverKey, ...connectionPrints() });
    await expect.poll(() => lastState(first)).toBe('password');
    await first.receiver.password(PASSWORD);
    expect((await first.settled).receiver.state).toBe('done');
    const again = await wire([randomFile('a', 10)], { keys, gate, receiverKey, ...connectionPrints() }).settled;
    expect(again.receiver.state).toBe('done');
    const other = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey() });
    await expect.poll(() => lastState(other)).toBe('password');
    other.receiver.close();
  });

  it('holds the receiver for as long as the person takes to type: the manifest timeout does not run', async () => {
    const keys = newLinkKeys();
    // A timeout short enough to pass many times over while the person types, long
    // enough that a busy machine does not trip it during the transfer afterwards.
    const run = wire([randomFile('a', 10)], { keys, gate: await gateOf(keys, {}), stallTimeoutMs: 200 });
    await expect.poll(() => lastState(run)).toBe('password');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(lastState(run)).toBe('password');
    await run.receiver.password(PASSWORD);
    expect((await run.settled).receiver.state).toBe('done');
  });

  it('still notices, while held, a connection that drops', async () => {
    const keys = newLinkKeys();
    const run = wire([randomFile('a', 10)], { keys, gate: await gateOf(keys, {}), stallTimeoutMs: 30 });
    await expect.poll(() => lastState(run)).toBe('password');
    run.senderChannel.drop();
    const { receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'error', disconnected: true, error: 'The sender closed the connection.' });
  });

  it('locks a receiver out after too many wrong tries, refuses even the right one meanwhile, and hangs up on one that keeps trying', async () => {
    const keys = newLinkKeys();
    const clock = new ManualClock();
    const guard = new PasswordGuard(PASSWORD_LIMITS, clock);
    const run = wire([randomFile('a', 10)], { keys, gate: await gateOf(keys, {}, guard), receiverKey: newReceiverKey() });
    const heard = heardFromSender(run);
    await expect.poll(() => lastState(run)).toBe('password');
    for (let i = 0; i < PASSWORD_LIMITS.tries; i++) {
      await run.receiver.password(`guess ${i}`);
      await expect.poll(() => run.receiver.snapshot.gate?.checking).toBe(false);
    }
    expect(run.receiver.snapshot.gate).toMatchObject({ triesLeft: null, retryInMs: PASSWORD_LIMITS.lockoutMs });
    clock.advance(1000);
    await run.receiver.password(PASSWORD);
    await expect.poll(() => run.receiver.snapshot.gate).toEqual({ triesLeft: null, retryInMs: PASSWORD_LIMITS.lockoutMs - 1000, checking: false });
    expect(heard.some((m) => m.type === 'manifest')).toBe(false);
    // Two more during the lockout are answered; the one after them is hung up on.
    await run.receiver.password(PASSWORD);
    await expect.poll(() => run.receiver.snapshot.gate?.checking).toBe(false);
    await run.receiver.password(PASSWORD);
    await expect.poll(() => run.receiver.snapshot.gate?.checking).toBe(false);
    await run.receiver.password(PASSWORD);
    const { receiver, sender } = await run.settled;
    expect(sender).toMatchObject({ state: 'error', error: 'passwords kept coming while locked out' });
    expect(receiver.state).toBe('error');
    expect(receiver.disconnected).toBe(false);
    expect(heard.some((m) => m.type === 'manifest')).toBe(false);
  });
});

describe('a share whose password is being guessed', () => {
  /** A guard whose share-wide tries a guesser spent, under as many names. */
  function spentGuard(clock = new ManualClock()) {
    const guard = new PasswordGuard(PASSWORD_LIMITS, clock);
    for (let i = 0; i < PASSWORD_LIMITS.shareTries; i++) guard.attempt(`guesser-${i}`);
    return guard;
  }

  it('holds every try, right or wrong alike, so a guesser learns nothing, and checks it once the person allows', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, {}, spentGuard());
    const guesser = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey() });
    const real = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey() });
    const heard = heardFromSender(guesser);
    await expect.poll(() => lastState(guesser)).toBe('password');
    await expect.poll(() => lastState(real)).toBe('password');
    await guesser.receiver.password('guess');
    await real.receiver.password(PASSWORD);
    // Both wait alike for the person sending; neither try was looked at yet.
    await expect.poll(() => lastState(guesser)).toBe('approval');
    await expect.poll(() => lastState(real)).toBe('approval');
    expect([guesser.sender.snapshot.held, real.sender.snapshot.held]).toEqual([true, true]);
    const guesserKey = guesser.sender.snapshot.receiverKey!;
    expect(gate.guard.tally(guesserKey)).toBeNull();
    // The person lets the one they expect try: it is in at once, without typing again.
    await real.sender.allow();
    expect((await real.settled).receiver.state).toBe('done');
    expect(gate.settings.passed).toEqual([real.sender.snapshot.receiverKey]);
    expect(heard.some((m) => m.type === 'manifest')).toBe(false);
    // Let through by mistake, a wrong one is found wrong, and may try again, within its own limits.
    await guesser.sender.allow();
    await expect.poll(() => lastState(guesser)).toBe('password');
    expect(guesser.receiver.snapshot.gate).toMatchObject({ triesLeft: PASSWORD_LIMITS.tries - 1 });
    expect(gate.guard.tally(guesserKey)).toEqual({ wrong: 1, lockedForMs: 0 });
    await guesser.receiver.password('guess 2');
    await expect.poll(() => guesser.receiver.snapshot.gate?.triesLeft).toBe(PASSWORD_LIMITS.tries - 2);
    guesser.receiver.close();
  });

  it('answers again by itself once a try has refilled', async () => {
    const keys = newLinkKeys();
    const clock = new ManualClock();
    const gate = await gateOf(keys, {}, spentGuard(clock));
    clock.advance(PASSWORD_LIMITS.refillMs);
    const run = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey() });
    await expect.poll(() => lastState(run)).toBe('password');
    await run.receiver.password(PASSWORD);
    expect((await run.settled).receiver.state).toBe('done');
  });
});

describe('a share that asks first', () => {
  it('shows the sender the receiver’s device, cleaned, and lets it through once allowed', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, { passwordKey: null, askFirst: true });
    const receiverKey = newReceiverKey();
    const run = wire([randomFile('a', 1000)], { keys, gate, receiverKey, device: 'Chrome 131 on Android\u202E\n' });
    const heard = heardFromSender(run);
    await expect.poll(() => lastState(run)).toBe('approval');
    await expect.poll(() => run.sender.snapshot.state).toBe('approval');
    expect(run.sender.snapshot.device).toBe('Chrome 131 on Android');
    expect(heard.map((m) => m.type)).toEqual(['hello', 'gate']);
    await run.sender.allow();
    expect((await run.settled).receiver.state).toBe('done');
    expect(gate.settings.allowed).toEqual([run.sender.snapshot.receiverKey]);
    // Allowed once is allowed on its next connection too.
    expect((await wire([randomFile('a', 10)], { keys, gate, receiverKey, ...connectionPrints() }).settled).receiver.state).toBe('done');
  });

  it('asks for the password first, then for approval', async () => {
    const keys = newLinkKeys();
    const run = wire([randomFile('a', 10)], { keys, gate: await gateOf(keys, { askFirst: true }), receiverKey: newReceiverKey() });
    await expect.poll(() => lastState(run)).toBe('password');
    await run.receiver.password(PASSWORD);
    await expect.poll(() => lastState(run)).toBe('approval');
    expect(run.receiver.snapshot.files).toEqual([]);
    await run.sender.allow();
    expect((await run.settled).receiver.state).toBe('done');
  });

  it('tells a declined receiver so, which is not a dropped connection to dial again', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, { passwordKey: null, askFirst: true });
    // Shorter than the wait at the gate below, long enough for the hello's signatures on a busy machine.
    const run = wire([randomFile('a', 10)], { keys, gate, receiverKey: newReceiverKey(), stallTimeoutMs: 200 });
    await expect.poll(() => run.sender.snapshot.state).toBe('approval');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await run.sender.decline();
    const { receiver, sender } = await run.settled;
    expect(receiver).toMatchObject({ state: 'ended', ended: 'declined', disconnected: false, files: [] });
    expect(sender).toMatchObject({ state: 'ended', ended: 'declined' });
    expect(gate.settings.allowed).toEqual([]);
  });
});

describe('another holder of the link', () => {
  it('gets nothing by saying, on a connection of its own, what a receiver that passed the password and was allowed said', async () => {
    const { keys, gate, hello } = await passedBoth();
    const copy = await anotherHolder(keys, gate, () => hello);
    expect(copy.heard).toEqual(['hello', 'error']);
    expect(copy.sender).toMatchObject({ state: 'error', error: 'The other side could not prove it holds this link: the other side names a receiver key it does not hold.', receiverKey: null });
  });

  it('gets nothing by naming that receiver’s key and signing with a key of its own', async () => {
    const { keys, gate, hello } = await passedBoth();
    const copy = await anotherHolder(keys, gate, (prints) => ({ key: hello.key, keyProof: proveReceiverKey(newReceiverKey(), prints).keyProof }));
    expect(copy.heard).toEqual(['hello', 'error']);
    expect(copy.sender.state).toBe('error');
  });

  it('with a key of its own, or none, is asked for the password and then waits for approval, as anyone new', async () => {
    const { keys, gate } = await passedBoth();
    const own = await anotherHolder(keys, gate, (prints) => proveReceiverKey(newReceiverKey(), prints));
    expect(own.heard).toEqual(['hello', 'gate']);
    expect(own.sender.state).toBe('password');
    expect((await anotherHolder(keys, gate, () => ({}))).sender).toMatchObject({ state: 'password', receiverKey: null });
    const askingOnly = new ShareGate({ ...gate.settings, passwordKey: null });
    expect((await anotherHolder(keys, askingOnly, (prints) => proveReceiverKey(newReceiverKey(), prints))).sender.state).toBe('approval');
  });

  it('that is the same receiver, proving its own key on a new connection, is asked for neither', async () => {
    const keys = newLinkKeys();
    const gate = await gateOf(keys, { askFirst: true });
    const receiverKey = newReceiverKey();
    const first = wire([randomFile('a', 10)], { keys, gate, receiverKey });
    await expect.poll(() => lastState(first)).toBe('password');
    await first.receiver.password(PASSWORD);
    await expect.poll(() => lastState(first)).toBe('approval');
    await first.sender.allow();
    expect((await first.settled).receiver.state).toBe('done');
    expect((await anotherHolder(keys, gate, (prints) => proveReceiverKey(receiverKey, prints))).heard).toEqual(['hello', 'manifest']);
  });
});

/** A receiver at a gate facing a sender that does only what the test says, after a correct hello. */
async function gatedReceiver(need: 'password' | 'approval') {
  const keys = newLinkKeys();
  const run = wire([randomFile('a', 10)], { keys, gate: await gateOf(keys, need === 'password' ? {} : { passwordKey: null, askFirst: true }) });
  await expect.poll(() => lastState(run)).toBe(need);
  const send = (channel: FakeChannel, message: ControlMessage) => encodeControl(message, channel.maxMessageSize).forEach((f) => channel.send(f));
  return { run, send };
}

describe('while gated', () => {
  it('a receiver that asks for files is hung up on', async () => {
    const { run, send } = await gatedReceiver('password');
    send(run.receiverChannel, { type: 'request', ranges: [{ file: 0, start: 0, end: 10 }], stored: 0, total: 10 });
    const { sender } = await run.settled;
    expect(sender).toMatchObject({ state: 'error', error: 'request before the receiver was let in' });
  });

  it('a password nobody asked for is refused', async () => {
    const { run, send } = await gatedReceiver('approval');
    send(run.receiverChannel, { type: 'password', proof: 'AAAA' });
    expect((await run.settled).sender).toMatchObject({ state: 'error', error: 'a password when none was asked for' });
  });

  it('a sender that sends anything but the files or another gate is refused', async () => {
    const { run, send } = await gatedReceiver('approval');
    send(run.senderChannel, { type: 'gate', need: 'approval' });
    const { receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'error', error: 'a approval gate while approval' });
  });
});
