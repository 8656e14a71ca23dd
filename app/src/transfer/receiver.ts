/**
 * The receiving side of one connection: proves the secret, shows the manifest, and
 * on `download()` asks for every file, checks that bytes arrive in order and within
 * bounds, hashes them as they arrive, and accepts a file only when its SHA-256
 * matches the sender's.
 */
import type { Fingerprints } from './auth.ts';
import type { Channel } from './channel.ts';
import { ProtocolError } from './errors.ts';
import type { FlowLimits } from './flow.ts';
import { createSha256, type Sha256 } from './hash.ts';
import type { FileDescription, Message } from './messages.ts';
import { PeerLink, PeerReportedError } from './peer-link.ts';
import { RateMeter, type Progress } from './progress.ts';

/** Where a received file's bytes go, in order. */
export interface FileSink {
  write(bytes: Uint8Array): void | Promise<void>;
  /** All bytes written and verified. */
  close(): void | Promise<void>;
  /** The file failed or the transfer stopped; drop what was written. */
  abort(): void;
}

export type ReceiverState = 'connecting' | 'waiting' | 'transferring' | 'verifying' | 'done' | 'error';
export type FileOutcome = 'pending' | 'receiving' | 'verified' | 'failed';

export interface ReceiverSnapshot {
  state: ReceiverState;
  /** The sender's manifest, once it has arrived. */
  files: readonly FileDescription[];
  outcomes: readonly FileOutcome[];
  progress: Progress;
  error: string | null;
}

export interface ReceiverOptions {
  channel: Channel;
  maxMessageSize: number;
  fingerprints: Fingerprints;
  secret: string;
  openSink: (file: FileDescription, index: number) => FileSink | Promise<FileSink>;
  flow?: FlowLimits;
  helloTimeoutMs?: number;
  now?: () => number;
  onchange?: (snapshot: ReceiverSnapshot) => void;
}

interface Incoming {
  index: number;
  offset: number;
  sink: FileSink;
  hasher: Sha256;
}

const EMIT_INTERVAL_MS = 100;

export class ReceiverSession {
  readonly #options: ReceiverOptions;
  readonly #link: PeerLink;
  readonly #now: () => number;
  #state: ReceiverState = 'connecting';
  #error: string | null = null;
  #files: readonly FileDescription[] = [];
  /** Updated in place; snapshots copy it (they are throttled, per-file updates are not). */
  #outcomes: FileOutcome[] = [];
  #hasher: Sha256 | null = null;
  /** Files requested and not yet ended, in the order the sender sends them. */
  #queue: number[] = [];
  #incoming: Incoming | null = null;
  #meter = new RateMeter(0);
  #progress: Progress = { bytes: 0, total: 0, rate: 0, eta: null };
  #lastEmit = -Infinity;

  constructor(options: ReceiverOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#link = new PeerLink(
      { ...options, role: 'receiver' },
      {
        authenticated: () => {},
        message: (message) => this.#handle(message),
        ended: (error) => this.#ended(error),
      },
    );
  }

  start(): Promise<void> {
    return this.#link.start();
  }

  close(): void {
    this.#link.close();
  }

  get snapshot(): ReceiverSnapshot {
    return {
      state: this.#state,
      files: this.#files,
      outcomes: [...this.#outcomes],
      progress: this.#progress,
      error: this.#error,
    };
  }

  /** Asks for every file in the manifest. */
  async download(): Promise<void> {
    if (this.#state !== 'waiting') throw new Error(`cannot start a download while ${this.#state}`);
    this.#queue = this.#files.map((_, index) => index);
    this.#meter = new RateMeter(this.#files.reduce((sum, file) => sum + file.size, 0));
    this.#progress = this.#meter.progress(0, this.#now());
    this.#set('transferring');
    if (this.#queue.length === 0) return this.#set('done');
    await this.#link.send({ type: 'request', ranges: this.#queue.map((file) => ({ file, offset: 0 })) });
  }

  async #handle(message: Message): Promise<void> {
    switch (message.type) {
      case 'manifest':
        if (this.#state !== 'connecting') throw new ProtocolError('a second manifest');
        this.#files = message.files;
        this.#outcomes = message.files.map(() => 'pending');
        this.#progress = { bytes: 0, total: message.files.reduce((sum, file) => sum + file.size, 0), rate: 0, eta: null };
        return this.#set('waiting');
      case 'data':
        return this.#data(message.file, message.offset, message.payload);
      case 'file-end':
        return this.#fileEnd(message.file, message.sha256);
      default:
        throw new ProtocolError(`a sender does not send ${message.type}`);
    }
  }

  async #open(file: number): Promise<Incoming> {
    if (this.#incoming) return this.#incoming;
    if (this.#queue[0] !== file) throw new ProtocolError(`data for file ${file}, which is not the one expected next`);
    const description = this.#files[file]!;
    this.#hasher ??= await createSha256();
    const sink = await this.#options.openSink(description, file);
    this.#incoming = { index: file, offset: 0, sink, hasher: this.#hasher };
    this.#outcome(file, 'receiving');
    return this.#incoming;
  }

  async #data(file: number, offset: number, payload: Uint8Array): Promise<void> {
    const incoming = await this.#open(file);
    if (incoming.index !== file) throw new ProtocolError(`data for file ${file} while file ${incoming.index} is open`);
    if (offset !== incoming.offset) throw new ProtocolError(`data at offset ${offset}; expected ${incoming.offset}`);
    if (offset + payload.length > this.#files[file]!.size) throw new ProtocolError(`data past the end of file ${file}`);
    incoming.hasher.update(payload);
    await incoming.sink.write(payload);
    incoming.offset += payload.length;
    this.#progress = this.#meter.progress(this.#progress.bytes + payload.length, this.#now());
    this.#emit(false);
  }

  async #fileEnd(file: number, sha256: string): Promise<void> {
    const incoming = await this.#open(file);
    const description = this.#files[file]!;
    if (incoming.index !== file) throw new ProtocolError(`end of file ${file} while file ${incoming.index} is open`);
    if (incoming.offset !== description.size) throw new ProtocolError(`${description.name} ended after ${incoming.offset} of ${description.size} bytes`);
    this.#incoming = null;
    this.#queue.shift();
    const last = this.#queue.length === 0;
    if (last) this.#set('verifying');
    const ok = incoming.hasher.digest() === sha256;
    if (ok) {
      await incoming.sink.close();
    } else {
      incoming.sink.abort();
    }
    this.#outcome(file, ok ? 'verified' : 'failed');
    await this.#link.send({ type: 'receipt', file, ok });
    if (!ok) throw new IntegrityError(`${description.name} failed verification: its SHA-256 does not match the sender’s`);
    if (last) this.#set('done');
  }

  #ended(error: Error | null): void {
    this.#incoming?.sink.abort();
    this.#incoming = null;
    if (this.#state === 'done' || !error) return;
    this.#error = explain(error, this.#state);
    this.#set('error');
  }

  #outcome(file: number, outcome: FileOutcome): void {
    this.#outcomes[file] = outcome;
    // Throttled like progress: 10,000 tiny files must not mean 10,000 repaints.
    this.#emit(outcome === 'failed');
  }

  #set(state: ReceiverState): void {
    this.#state = state;
    this.#emit(true);
  }

  #emit(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#lastEmit < EMIT_INTERVAL_MS) return;
    this.#lastEmit = now;
    this.#options.onchange?.(this.snapshot);
  }
}

/** The received bytes do not hash to what the sender announced. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

/** What to tell the person receiving, given how the link ended. */
function explain(error: Error, state: ReceiverState): string {
  if (error instanceof PeerReportedError) return `The sender stopped the transfer: ${error.message}`;
  if (error.name === 'AbortedError') {
    return state === 'connecting' || state === 'waiting'
      ? 'The sender closed the connection.'
      : 'The sender went away before the transfer finished (the page was closed or the connection dropped).';
  }
  return error.message;
}
