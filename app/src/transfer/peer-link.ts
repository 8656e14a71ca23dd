/**
 * One authenticated, flow-controlled message link over a channel: the part the sender
 * and the receiver share. It frames and unframes messages, handles them strictly one
 * at a time and in order, runs the hello exchange, and turns every way a link can end
 * (peer closed, protocol error, our own close) into exactly one `ended` call.
 */
import { proveSecret, verifySecret, type Fingerprints, type Role } from './auth.ts';
import type { Channel } from './channel.ts';
import { AbortedError, ProtocolError } from './errors.ts';
import { DEFAULT_FLOW, FlowControl, type FlowLimits } from './flow.ts';
import { encodeControl, FrameDecoder, MAX_CONTROL_BYTES, MAX_UNAUTHENTICATED_BYTES, MIN_MESSAGE_SIZE } from './frames.ts';
import { PROTOCOL_VERSION, type ControlMessage, type Message } from './messages.ts';

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
  role: Role;
  secret: string;
  fingerprints: Fingerprints;
  flow?: FlowLimits;
  /** How long the peer has to prove the secret before we hang up. */
  helloTimeoutMs?: number;
  /** Sent in our hello (receivers: the transfer's id, stable across reconnections). */
  session?: string;
}

const HELLO_TIMEOUT_MS = 10_000;

export interface LinkHandlers {
  /** The peer proved it holds the secret; messages may flow. `session` is what it sent. */
  authenticated(session: string | undefined): void | Promise<void>;
  /** A verified message other than hello, in order. A throw ends the link. */
  message(message: Message): void | Promise<void>;
  /** Called once. `error` is null after our own orderly close. */
  ended(error: Error | null): void;
}

/** The peer failed to prove it knows the link's secret. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/**
 * The connection was negotiated with messages too small to carry the protocol: the
 * session description was rewritten on its way through the broker, or the peer is
 * broken. Dialling again through the same broker would only meet the same.
 */
export class MessageSizeError extends Error {
  override name = 'MessageSizeError';

  constructor(readonly maxMessageSize: number) {
    super(
      `The connection was set up for messages of only ${maxMessageSize} bytes, which no browser does: ` +
        'the Ferry server or the network may have tampered with it. Nothing was sent.',
    );
  }
}

export class PeerLink {
  readonly #options: LinkOptions;
  readonly #handlers: LinkHandlers;
  readonly #abort = new AbortController();
  readonly #flow: FlowControl;
  readonly #decoder = new FrameDecoder();
  /** The largest message this link sends. */
  readonly maxMessageSize: number;
  #inbox: Promise<void> = Promise.resolve();
  #authenticated = false;
  #ended = false;
  /** Settles once our own hello is on the wire: nothing may overtake it. */
  #helloSent: Promise<void>;
  #sayHello!: () => void;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LinkOptions, handlers: LinkHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.maxMessageSize = Math.min(options.maxMessageSize, MESSAGE_CAP);
    this.#helloSent = new Promise((resolve) => (this.#sayHello = resolve));
    // Until the peer proves the secret it may not make us buffer more than a hello.
    this.#decoder.limit = MAX_UNAUTHENTICATED_BYTES;
    this.#flow = new FlowControl(options.channel, options.flow ?? DEFAULT_FLOW, this.maxMessageSize, this.signal);
    options.channel.addEventListener('message', this.#onMessage);
    options.channel.addEventListener('close', this.#onClose);
  }

  /** Aborted when the link ends, for whatever reason: stops reading, hashing, sending. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Sends our proof. Call once the channel is open. */
  async start(): Promise<void> {
    // Written as a negation so that NaN is refused too. Not through fail(): nothing
    // we could say fits in such a message, so the peer just sees the channel close.
    if (!(this.maxMessageSize >= MIN_MESSAGE_SIZE)) return this.#end(new MessageSizeError(this.#options.maxMessageSize));
    const { secret, role, fingerprints } = this.#options;
    this.#helloTimer = setTimeout(() => {
      if (!this.#authenticated) this.fail(new AuthenticationError('the other side did not prove it holds the link’s secret in time'));
    }, this.#options.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    try {
      const proof = await proveSecret(secret, role, fingerprints);
      const { session } = this.#options;
      await this.send({ type: 'hello', version: PROTOCOL_VERSION, proof, ...(session && { session }) });
      this.#sayHello();
    } catch (error) {
      this.#end(asError(error));
    }
  }

  async send(message: ControlMessage): Promise<void> {
    for (const frame of encodeControl(message, this.maxMessageSize)) await this.#flow.send(frame);
  }

  /** Sends a prepared DATA frame (see allocateDataFrame), waiting for room first. */
  sendFrame(frame: Uint8Array<ArrayBuffer>): Promise<void> {
    return this.#flow.send(frame);
  }

  /** Ends the link because of `error`: tells the peer why (best effort), then closes. */
  fail(error: Error): void {
    if (this.#ended) return;
    // The channel closed under us. Messages that came before the close may say why
    // (the peer's own error): let the inbox read them before we settle on a reason.
    if (error instanceof AbortedError) return this.#endAfterInbox(error);
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
    this.#end(error);
  }

  /** Orderly close (transfer finished or cancelled by the user). */
  close(): void {
    this.#end(null);
  }

  #onMessage = (event: Event): void => {
    const data = (event as Event & { data?: unknown }).data;
    this.#inbox = this.#inbox.then(() => this.#handle(data)).catch((error: unknown) => this.fail(asError(error)));
  };

  #onClose = (): void => {
    this.#endAfterInbox(new AbortedError('the connection closed'));
  };

  #endAfterInbox(error: Error): void {
    void this.#inbox.then(() => this.#end(error));
  }

  async #handle(data: unknown): Promise<void> {
    if (this.#ended) return;
    const message = this.#decoder.decode(data);
    if (message === null) return;
    if (message.type === 'error') throw new PeerReportedError(message.message);
    if (message.type === 'hello') return this.#verify(message.version, message.proof, message.session);
    if (!this.#authenticated) throw new ProtocolError(`${message.type} before authentication`);
    await this.#handlers.message(message);
  }

  async #verify(version: number, proof: string, session: string | undefined): Promise<void> {
    if (this.#authenticated) throw new ProtocolError('second hello');
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`the other side speaks protocol version ${version}; this Ferry speaks ${PROTOCOL_VERSION}`);
    }
    const { secret, role, fingerprints } = this.#options;
    const peerRole = role === 'sender' ? 'receiver' : 'sender';
    if (!(await verifySecret(secret, peerRole, fingerprints, proof))) {
      throw new AuthenticationError('the other side does not hold this link’s secret');
    }
    this.#authenticated = true;
    clearTimeout(this.#helloTimer);
    this.#decoder.limit = MAX_CONTROL_BYTES;
    await this.#helloSent;
    await this.#handlers.authenticated(session);
  }

  #end(error: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#helloTimer);
    const { channel } = this.#options;
    channel.removeEventListener('message', this.#onMessage);
    channel.removeEventListener('close', this.#onClose);
    this.#abort.abort(error ?? new AbortedError('closed'));
    if (channel.readyState === 'open' || channel.readyState === 'connecting') channel.close();
    this.#handlers.ended(error);
  }
}

/** The peer sent an error message and closed: its words, shown as they are. */
export class PeerReportedError extends Error {
  override name = 'PeerReportedError';
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
