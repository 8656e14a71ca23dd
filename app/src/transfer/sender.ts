/**
 * The sending side of one connection: proves the secret, sends the manifest, then
 * streams the requested file ranges in order, hashing as it reads, and finishes when
 * the receiver has confirmed every file.
 */
import type { Fingerprints } from './auth.ts';
import type { Channel } from './channel.ts';
import { ProtocolError } from './errors.ts';
import { FileHashes } from './file-hashes.ts';
import type { FlowLimits } from './flow.ts';
import { allocateDataFrame, DATA_HEADER_BYTES } from './frames.ts';
import { createSha256, type Sha256 } from './hash.ts';
import type { FileDescription, FileRange, Message } from './messages.ts';
import { asError, PeerLink } from './peer-link.ts';
import { RateMeter, type Progress } from './progress.ts';

/** A file the sender offers. `read` returns bytes [start, end). */
export interface FileSource extends FileDescription {
  read(start: number, end: number): Promise<Uint8Array>;
}

export type SenderState = 'connecting' | 'waiting' | 'transferring' | 'done' | 'error';

export interface SenderSnapshot {
  state: SenderState;
  progress: Progress;
  /** File payload bytes put on the channel in this session. */
  sentBytes: number;
  filesConfirmed: number;
  filesRequested: number;
  error: string | null;
}

export interface SenderOptions {
  channel: Channel;
  maxMessageSize: number;
  fingerprints: Fingerprints;
  secret: string;
  files: readonly FileSource[];
  /** Shared by all connections of one share. */
  hashes?: FileHashes;
  flow?: FlowLimits;
  helloTimeoutMs?: number;
  /** Upper bound for one DATA message, below the link's own cap. */
  messageBytes?: number;
  now?: () => number;
  onchange?: (snapshot: SenderSnapshot) => void;
}

const EMIT_INTERVAL_MS = 100;

export class SenderSession {
  readonly #options: SenderOptions;
  readonly #link: PeerLink;
  readonly #hashes: FileHashes;
  readonly #now: () => number;
  #state: SenderState = 'connecting';
  #error: string | null = null;
  #pump: Promise<void> = Promise.resolve();
  /** Files whose end (and hash) we sent, awaiting the receiver's receipt. */
  #unconfirmed = new Set<number>();
  /** Files requested and not yet confirmed, whether or not their end was sent. */
  #outstanding = new Set<number>();
  #filesRequested = 0;
  #hasher: Sha256 | null = null;
  #meter = new RateMeter(0);
  #progress: Progress = { bytes: 0, total: 0, rate: 0, eta: null };
  #sentBytes = 0;
  #lastEmit = -Infinity;

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#hashes = options.hashes ?? new FileHashes();
    this.#now = options.now ?? (() => Date.now());
    this.#link = new PeerLink(
      { ...options, role: 'sender' },
      {
        authenticated: () => this.#link.send({ type: 'manifest', files: options.files.map(describe) }).then(() => this.#set('waiting')),
        message: (message) => this.#handle(message),
        ended: (error) => this.#ended(error),
      },
    );
  }

  start(): Promise<void> {
    return this.#link.start();
  }

  /** Stops sending to this receiver. */
  close(): void {
    this.#link.close();
  }

  get snapshot(): SenderSnapshot {
    return {
      state: this.#state,
      progress: this.#progress,
      sentBytes: this.#sentBytes,
      filesConfirmed: this.#filesRequested - this.#outstanding.size,
      filesRequested: this.#filesRequested,
      error: this.#error,
    };
  }

  #handle(message: Message): void {
    switch (message.type) {
      case 'request':
        return this.#request(message.ranges);
      case 'receipt':
        return this.#receipt(message.file, message.ok);
      default:
        throw new ProtocolError(`a receiver does not send ${message.type}`);
    }
  }

  #request(ranges: FileRange[]): void {
    const { files } = this.#options;
    for (const { file, offset } of ranges) {
      const source = files[file];
      if (!source) throw new ProtocolError(`request for file ${file}, which does not exist`);
      if (offset > source.size) throw new ProtocolError(`request for ${source.name} at ${offset}, past its end`);
    }
    for (const { file } of ranges) {
      if (this.#outstanding.has(file)) continue;
      this.#outstanding.add(file);
      this.#filesRequested += 1;
    }
    const total = this.#progress.total + ranges.reduce((sum, { file, offset }) => sum + files[file]!.size - offset, 0);
    this.#meter = new RateMeter(total);
    this.#progress = this.#meter.progress(this.#progress.bytes, this.#now());
    this.#set('transferring');
    // Requests queue behind each other; the inbox stays free for receipts meanwhile.
    this.#pump = this.#pump.then(() => this.#send(ranges)).catch((error: unknown) => this.#link.fail(asError(error)));
  }

  async #send(ranges: FileRange[]): Promise<void> {
    const signal = this.#link.signal;
    const payloadBytes = Math.min(this.#options.messageBytes ?? Infinity, this.#link.maxMessageSize) - DATA_HEADER_BYTES;
    for (const { file, offset: start } of ranges) {
      const source = this.#options.files[file]!;
      // Hash while sending only when this pass covers the whole file and nobody has yet.
      const hasher = start === 0 && !this.#hashes.peek(source) ? (this.#hasher ??= await createSha256()) : null;
      for (let offset = start; offset < source.size; ) {
        signal.throwIfAborted();
        const length = Math.min(payloadBytes, source.size - offset);
        const frame = allocateDataFrame(file, offset, length);
        const bytes = await source.read(offset, offset + length);
        if (bytes.length !== length) throw new Error(`${source.name} changed while it was being sent`);
        frame.set(bytes, DATA_HEADER_BYTES);
        hasher?.update(bytes);
        await this.#link.sendFrame(frame);
        offset += length;
        this.#sentBytes += length;
        this.#advance(length);
      }
      if (hasher) this.#hashes.remember(source, hasher.digest());
      const sha256 = await this.#hashes.of(source, signal);
      this.#unconfirmed.add(file);
      await this.#link.send({ type: 'file-end', file, sha256 });
    }
  }

  #receipt(file: number, ok: boolean): void {
    if (!this.#unconfirmed.delete(file)) throw new ProtocolError(`receipt for file ${file}, which was not sent`);
    if (!ok) throw new ProtocolError(`${this.#options.files[file]!.name} failed verification at the receiver`);
    this.#outstanding.delete(file);
    if (this.#outstanding.size === 0) {
      this.#set('done');
      this.#link.close();
    } else {
      this.#emit(false);
    }
  }

  #advance(bytes: number): void {
    this.#progress = this.#meter.progress(this.#progress.bytes + bytes, this.#now());
    this.#emit(false);
  }

  #ended(error: Error | null): void {
    if (this.#state === 'done') return;
    if (error) {
      this.#error = error.message;
      this.#set('error');
    }
  }

  #set(state: SenderState): void {
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

function describe({ name, size, type, lastModified }: FileDescription): FileDescription {
  return { name, size, type, lastModified };
}
