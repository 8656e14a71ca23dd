/**
 * One authenticated, flow-controlled message link over a channel: the part the sender
 * and the receiver share. It frames and unframes messages, handles them strictly one
 * at a time and in order, runs the hello exchange, and turns every way a link can end
 * (peer closed, protocol error, our own close) into exactly one `closed` call. Once
 * the peer is proven, lanes (lanes.ts) may join it: each is flow-controlled on its own,
 * its messages are handled in line with the link's, and it lives and dies with the link.
 */
import { proveReceiver, proveReceiverKey, proveSender, verifyReceiver, verifyReceiverKey, verifySender, type Fingerprints } from './auth.ts';
import type { Channel, Lane } from './channel.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import { AbortedError, ProtocolError } from './errors.ts';
import { failureMessage, type Failure } from './failure.ts';
import { DEFAULT_FLOW, FlowControl, type FlowLimits } from './flow.ts';
import { encodeControl, FrameDecoder, MAX_CONTROL_BYTES, MAX_UNAUTHENTICATED_BYTES, MIN_MESSAGE_SIZE } from './frames.ts';
import { PROTOCOL_VERSION, type ControlMessage, type Message } from './messages.ts';
import { since, span } from './trace.ts';

/**
 * No message is larger than this, whatever the peers negotiated: 256 KiB is what
 * Chromium and Safari accept, and Firefox's ~1 GiB limit would only make queues lumpy.
 */
export const MESSAGE_CAP = 256 * 1024;

export interface LinkOptions {
  channel: Channel;
  /**
   * The negotiated `RTCSctpTransport.maxMessageSize` (Infinity when neither side has a
   * limit). Below MIN_MESSAGE_SIZE the link refuses to start.
   */
  maxMessageSize: number;
  identity: Identity;
  fingerprints: Fingerprints;
  flow?: FlowLimits;
  /** How long the peer has to prove the secret before we hang up. */
  helloTimeoutMs?: number;
  /** What that wait is timed by. */
  clock?: Clock;
  /** How much the proven peer may have sent that we have not handled yet; see InboxLimits. */
  inbox?: InboxLimits;
  /**
   * A receiver's private key for its transfer (auth.ts newReceiverKey), so the sender
   * knows it again when it reconnects: it signs each connection with it. None: the
   * sender takes it for someone new every time.
   */
  receiverKey?: string;
  /** How a receiver describes its browser and system (device.ts), for the sender's person. */
  device?: string | null;
}

/**
 * Who we are on this link, and what we check the other side against. Both know the
 * link's secret; only the sender has the key that signs for the link's sender key.
 */
export type Identity = { role: 'sender'; secret: string; signingKey: string } | { role: 'receiver'; secret: string; senderKey: string };

const HELLO_TIMEOUT_MS = 10_000;

/**
 * Messages are handled one at a time, and a handler may wait (on the disk, say) while
 * more arrive. Those wait in line, and the line may hold no more than this: a peer
 * that sends more than an honest one could have outstanding is hung up on, rather than
 * queued in memory without end. Bytes are channel message sizes.
 */
export interface InboxLimits {
  messages: number;
  bytes: number;
}

/** Before the proof: a hello, and perhaps an error. */
const UNPROVEN_INBOX: InboxLimits = { messages: 4, bytes: 2 * MAX_UNAUTHENTICATED_BYTES };
/**
 * For a side whose handlers do not wait (the sender's: it queues requests for its own
 * pump) and whose peer sends only when answered: generous, but finite.
 */
const DEFAULT_INBOX: InboxLimits = { messages: 4096, bytes: MAX_CONTROL_BYTES };

export interface LinkHandlers {
  /**
   * The peer proved it holds the secret; messages may flow. `receiver` is the public key
   * a receiver proved it holds (none if it named none), `device` what it said it runs on.
   */
  authenticated(receiver: string | undefined, device: string | undefined): void | Promise<void>;
  /**
   * A verified message other than hello, in order, and the lane it came on (0: the
   * link's own channel). Messages of different lanes are handled one at a time too. A
   * throw ends the link.
   */
  message(message: Message, lane: number): void | Promise<void>;
  /** A channel message arrived (before it is handled, and whatever it holds): the peer is there. */
  messageArrived?(): void;
  /** Lane `lane` closed, after everything that came on it was handled; the link goes on. None: a lane's close ends the link. */
  laneClosed?(lane: number): void | Promise<void>;
  /** Called once. `error` is null after our own orderly close. */
  closed(error: Error | null): void;
}

/**
 * The peer failed to prove who it is: a receiver that lacks the link's secret, or a
 * "sender" that cannot sign for the link's key (someone else holding the link, or
 * the sender's id on the broker taken over). `impostor` is the latter.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';

  constructor(
    message: string,
    readonly impostor = false,
  ) {
    super(message);
  }

  get failure(): Failure {
    return this.impostor ? { code: 'impostor' } : { code: 'not-proven', detail: this.message };
  }
}

/**
 * The connection was negotiated with messages too small to carry the protocol: the
 * session description was rewritten on its way through the broker, or the peer is
 * broken. Dialling again through the same broker would only meet the same.
 */
export class MessageSizeError extends Error {
  override name = 'MessageSizeError';
  readonly failure: Failure;

  constructor(readonly maxMessageSize: number) {
    const failure: Failure = { code: 'tampered-size', bytes: maxMessageSize };
    super(failureMessage(failure));
    this.failure = failure;
  }
}

/** The other side speaks another version of the protocol: one of the two pages is out of date. */
export class VersionError extends ProtocolError {
  override name = 'VersionError';

  constructor(readonly theirs: number) {
    super(`the other side speaks protocol version ${theirs}; this Ferry speaks ${PROTOCOL_VERSION}`);
  }

  override get failure(): Failure {
    return { code: 'other-version', theirs: this.theirs, ours: PROTOCOL_VERSION };
  }
}

/** One channel of a link, its own (lane 0) or a lane's: how it is sent on and read. */
interface Way {
  channel: Channel;
  flow: FlowControl;
  decoder: FrameDecoder;
  /** Messages received on it and not yet handled (the one being handled included), and their bytes. */
  backlog: number;
  backlogBytes: number;
  onMessage: (event: Event) => void;
  onClose: () => void;
  /** Closes its connection (a lane's); the link's own connection is its owner's to close. */
  close: () => void;
}

export class PeerLink {
  readonly #options: LinkOptions;
  readonly #handlers: LinkHandlers;
  readonly #abort = new AbortController();
  /** Lane 0, the channel the link was set up on, and the lanes that joined it. */
  readonly #ways = new Map<number, Way>();
  /** The largest message this link sends. */
  readonly maxMessageSize: number;
  #inbox: Promise<void> = Promise.resolve();
  #authenticated = false;
  #closed = false;
  /** Settles once our own hello is on the wire: nothing may overtake it. */
  #helloSent: Promise<void>;
  #sayHello!: () => void;
  /** Stops the wait for the peer's proof. */
  #stopHelloWait: () => void = () => {};

  constructor(options: LinkOptions, handlers: LinkHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.maxMessageSize = Math.min(options.maxMessageSize, MESSAGE_CAP);
    this.#helloSent = new Promise((resolve) => (this.#sayHello = resolve));
    const own = this.#way(0, options.channel, () => {});
    // Until the peer proves the secret it may not make us buffer more than a hello.
    own.decoder.limit = MAX_UNAUTHENTICATED_BYTES;
  }

  #way(lane: number, channel: Channel, close: () => void): Way {
    const way: Way = {
      channel,
      flow: new FlowControl(channel, this.#options.flow ?? DEFAULT_FLOW, this.maxMessageSize, this.signal),
      decoder: new FrameDecoder(),
      backlog: 0,
      backlogBytes: 0,
      onMessage: (event) => this.#onMessage(way, lane, event),
      onClose: () => (lane === 0 ? this.#closeAfterInbox(new AbortedError('the connection closed')) : this.#laneLost(lane, way)),
      close,
    };
    if (lane > 0) way.decoder.limit = MAX_CONTROL_BYTES;
    this.#ways.set(lane, way);
    channel.addEventListener('message', way.onMessage);
    channel.addEventListener('close', way.onClose);
    return way;
  }

  /**
   * Lane `lane`, opened over this proven link, joins it: what arrives on it is handled
   * in line with the link's messages, and it closes with the link (a lane that closes
   * ends the link, as the link's own channel would). Returns whether it joined: a lane
   * whose messages are smaller than the link's, or one that comes after the link
   * ended, is closed instead.
   */
  addLane(lane: number, { channel, maxMessageSize, close }: Lane): boolean {
    if (this.#closed || this.#ways.has(lane) || Math.min(maxMessageSize, MESSAGE_CAP) < this.maxMessageSize || channel.readyState !== 'open') {
      close();
      return false;
    }
    this.#way(lane, channel, close);
    return true;
  }

  /**
   * A lane closed under the link (its path failed, or the peer is hanging up): it
   * leaves the link, and once what arrived on it before is handled, the owner is told
   * (`laneClosed`), or, with no one to tell, the link ends as if its own channel had.
   */
  #laneLost(lane: number, way: Way): void {
    if (this.#closed || this.#ways.get(lane) !== way) return;
    this.#ways.delete(lane);
    way.channel.removeEventListener('message', way.onMessage);
    way.channel.removeEventListener('close', way.onClose);
    way.close();
    const { laneClosed } = this.#handlers;
    if (!laneClosed) return this.#closeAfterInbox(new AbortedError(`lane ${lane} closed`));
    this.#inbox = this.#inbox.then(async () => {
      if (this.#closed) return;
      try {
        await laneClosed(lane);
      } catch (error) {
        this.fail(asError(error));
      }
    });
  }

  /** Whether lane `lane` has joined the link (and not closed since). */
  hasLane(lane: number): boolean {
    return this.#ways.has(lane);
  }

  /** The bytes queued to send on lane `lane` (0: the link's own channel). */
  bufferedAmount(lane = 0): number {
    return this.#ways.get(lane)?.channel.bufferedAmount ?? 0;
  }

  /** Aborted when the link ends, for whatever reason: stops reading, hashing, sending. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Call once the channel is open. The sender proves who it is at once; the receiver
   * answers only once the sender's signature checks out, so its hello, which names it
   * and proves the secret, reaches no one but the link's sender.
   */
  async start(): Promise<void> {
    // Written as a negation so that NaN is refused too. Not through fail(): nothing
    // we could say fits in such a message, so the peer just sees the channel close.
    if (!(this.maxMessageSize >= MIN_MESSAGE_SIZE)) return this.#closeWith(new MessageSizeError(this.#options.maxMessageSize));
    this.#stopHelloWait = (this.#options.clock ?? SYSTEM_CLOCK).after(this.#options.helloTimeoutMs ?? HELLO_TIMEOUT_MS, () => {
      if (!this.#authenticated) this.fail(new AuthenticationError('the other side did not prove it holds the link’s secret in time'));
    });
    if (this.#options.identity.role !== 'sender') return;
    try {
      await this.#hello();
    } catch (error) {
      this.#closeWith(asError(error));
    }
  }

  async #hello(): Promise<void> {
    const { identity, fingerprints, receiverKey, device } = this.#options;
    const proof = identity.role === 'sender' ? proveSender(identity.signingKey, fingerprints) : proveReceiver(identity.secret, fingerprints);
    const named = identity.role === 'receiver' && receiverKey !== undefined ? proveReceiverKey(receiverKey, fingerprints) : {};
    await this.send({ type: 'hello', version: PROTOCOL_VERSION, proof, ...named, ...(device && { device }) });
    this.#sayHello();
  }

  /** Sends `message` on lane `lane` (0: the link's own channel), waiting for room first. */
  async send(message: ControlMessage, lane = 0): Promise<void> {
    const flow = this.#flowOf(lane);
    for (const frame of encodeControl(message, this.maxMessageSize)) await flow.send(frame);
  }

  /** Sends a prepared frame (see allocateDataFrame) on lane `lane`, waiting for room first. */
  sendFrame(frame: Uint8Array<ArrayBuffer>, lane = 0): Promise<void> {
    return this.#flowOf(lane).send(frame);
  }

  #flowOf(lane: number): FlowControl {
    const way = this.#ways.get(lane);
    if (!way) throw new AbortedError(`lane ${lane} is not open`);
    return way.flow;
  }

  /** Ends the link because of `error`: tells the peer why (best effort), then closes. */
  fail(error: Error): void {
    if (this.#closed) return;
    // The channel closed under us. Messages that came before the close may say why
    // (the peer's own error): let the inbox read them before we settle on a reason.
    if (error instanceof AbortedError) return this.#closeAfterInbox(error);
    if (!(error instanceof AbortedError) && this.#options.channel.readyState === 'open') {
      // Bypass flow control: this is the last thing we send, and it is small.
      try {
        for (const frame of encodeControl({ type: 'error', message: error.message.slice(0, 1000) }, this.maxMessageSize)) {
          this.#options.channel.send(frame);
        }
      } catch {
        // The channel is failing too; the peer will see it close.
      }
    }
    this.#closeWith(error);
  }

  /** Orderly close (transfer finished or cancelled by the user). */
  close(): void {
    this.#closeWith(null);
  }

  /** Each lane's backlog is held to the limits on its own: an honest peer sends on each only what was asked of it. */
  #onMessage(way: Way, lane: number, event: Event): void {
    const data = (event as Event & { data?: unknown }).data;
    const bytes = byteLength(data);
    const limits = this.#authenticated ? (this.#options.inbox ?? DEFAULT_INBOX) : UNPROVEN_INBOX;
    way.backlog += 1;
    way.backlogBytes += bytes;
    if (way.backlog > limits.messages || way.backlogBytes > limits.bytes) {
      return this.fail(new ProtocolError('the other side sent more than it was asked for'));
    }
    this.#handlers.messageArrived?.();
    const arrived = since();
    this.#inbox = this.#inbox.then(async () => {
      span('inbox', arrived, bytes);
      try {
        await this.#handle(way, lane, data);
      } catch (error) {
        this.fail(asError(error));
      } finally {
        way.backlog -= 1;
        way.backlogBytes -= bytes;
      }
    });
  }

  #closeAfterInbox(error: Error): void {
    void this.#inbox.then(() => this.#closeWith(error));
  }

  async #handle(way: Way, lane: number, data: unknown): Promise<void> {
    if (this.#closed) return;
    const message = way.decoder.decode(data);
    if (message === null) return;
    if (lane > 0 && (message.type === 'hello' || message.type === 'error')) throw new ProtocolError(`${message.type} on lane ${lane}`);
    if (message.type === 'error') {
      // Anyone who reaches us can say anything before the proof: their words go nowhere.
      if (!this.#authenticated) return this.#closeWith(new AbortedError('the other side hung up before proving it holds the link’s secret'));
      throw new PeerReportedError(peerWords(message.message));
    }
    if (message.type === 'hello') return this.#verify(message);
    if (!this.#authenticated) throw new ProtocolError(`${message.type} before authentication`);
    await this.#handlers.message(message, lane);
  }

  async #verify({ version, proof, key, keyProof, device }: Extract<ControlMessage, { type: 'hello' }>): Promise<void> {
    if (this.#authenticated) throw new ProtocolError('second hello');
    if (version !== PROTOCOL_VERSION) {
      throw new VersionError(version);
    }
    const { identity, fingerprints } = this.#options;
    if (identity.role === 'receiver') {
      if (!verifySender(identity.senderKey, fingerprints, proof)) {
        throw new AuthenticationError('the other side holds the link but is not its sender', true);
      }
    } else if (!verifyReceiver(identity.secret, fingerprints, proof)) {
      throw new AuthenticationError('the other side does not hold this link’s secret');
    } else if (key !== undefined && !verifyReceiverKey({ key, keyProof: keyProof ?? '' }, fingerprints)) {
      // Its public key, copied from somewhere, without the private half that signs for it.
      throw new AuthenticationError('the other side names a receiver key it does not hold');
    }
    this.#authenticated = true;
    this.#stopHelloWait();
    this.#ways.get(0)!.decoder.limit = MAX_CONTROL_BYTES;
    if (identity.role === 'receiver') await this.#hello();
    await this.#helloSent;
    await this.#handlers.authenticated(identity.role === 'sender' ? key : undefined, device);
  }

  /** Closes the link, once: with `error` when it failed, null when we closed it in order. */
  #closeWith(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHelloWait();
    for (const { channel, onMessage, onClose, close } of this.#ways.values()) {
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('close', onClose);
      if (channel.readyState === 'open' || channel.readyState === 'connecting') channel.close();
      close();
    }
    this.#abort.abort(error ?? new AbortedError('closed'));
    this.#handlers.closed(error);
  }
}

/**
 * The peer, after proving the secret, sent an error message and closed. The message is
 * its words, cleaned by peerWords: show them only as a quote attributed to the peer.
 */
export class PeerReportedError extends Error {
  override name = 'PeerReportedError';
}

/** How much of a peer's words is ever shown. */
export const PEER_WORDS_MAX = 200;

/**
 * A peer's error text made safe to quote. Even a peer that holds the link is only
 * someone with the link: its words may try to pass for ours. So control, format and
 * bidi characters (which can reorder or hide the text around them) become spaces,
 * runs of white space one space, and anything past `max` characters an ellipsis.
 */
export function peerWords(text: string, max = PEER_WORDS_MAX): string {
  const clean = text
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return typeof data === 'string' ? data.length : 0;
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
