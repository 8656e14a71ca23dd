/**
 * The receiving side's state: reach the sender through the broker, then run one
 * ReceiverSession and keep each verified file ready to save.
 */
import type Peer from 'peerjs';
import { brokerErrorMessage, describeConnection, fetchClientConfig, openPeer, type OpenConnection } from '../net/broker.ts';
import { createBlobSink } from '../storage/blob-sink.ts';
import { saveFile, saveFiles } from '../storage/save.ts';
import type { FileDescription } from '../transfer/messages.ts';
import { ReceiverSession, type FileSink, type ReceiverSnapshot, type ReceiverState } from '../transfer/receiver.ts';

/** How long to wait for the sender before saying it is offline. */
const CONNECT_TIMEOUT_MS = 10_000;

export type Phase = 'connecting' | 'offline' | 'session';

export class Receive {
  phase = $state<Phase>('connecting');
  /** Why the sender cannot be reached (phase 'offline'). */
  problem = $state<string | null>(null);
  snapshot = $state.raw<ReceiverSnapshot | null>(null);
  blobs = $state.raw<ReadonlyMap<number, Blob>>(new Map());
  saveError = $state<string | null>(null);

  #peer: Peer | null = null;
  #session: ReceiverSession | null = null;
  #attempt = 0;

  constructor(
    readonly senderId: string,
    readonly secret: string,
  ) {}

  /** The value of the transfer-status element. */
  get state(): ReceiverState {
    if (this.phase === 'offline') return 'error';
    return this.snapshot?.state ?? 'connecting';
  }

  async connect(): Promise<void> {
    const attempt = ++this.#attempt;
    this.close();
    this.phase = 'connecting';
    this.problem = null;
    this.snapshot = null;
    this.blobs = new Map();
    const timer = setTimeout(() => this.#offline(attempt, 'The sender did not answer within 10 seconds. Their Ferry page may be closed or offline.'), CONNECT_TIMEOUT_MS);
    try {
      const peer = await openPeer(await fetchClientConfig());
      if (attempt !== this.#attempt) return peer.destroy();
      this.#peer = peer;
      peer.on('error', (error) => this.#offline(attempt, brokerErrorMessage(error.type)));
      const connection = peer.connect(this.senderId, { serialization: 'raw', reliable: true });
      connection.on('open', () => {
        if (attempt !== this.#attempt || this.phase !== 'connecting') return connection.close();
        clearTimeout(timer);
        describeConnection(connection)
          .then((open) => this.#startSession(open))
          .catch((error: Error) => this.#offline(attempt, `Could not connect to the sender: ${error.message}`));
      });
    } catch (error) {
      this.#offline(attempt, (error as Error).message);
    }
  }

  download(): void {
    // If the link dropped meanwhile, the session reports that itself.
    this.#session?.download().catch(() => {});
  }

  async save(index: number): Promise<void> {
    const blob = this.blobs.get(index);
    const file = this.snapshot?.files[index];
    if (!blob || !file) return;
    await this.#saving(() => saveFile(blob, file.name));
  }

  /** Every verified file: into one folder the person picks, or as downloads. */
  async saveAll(): Promise<void> {
    const files = this.snapshot?.files ?? [];
    const entries = [...this.blobs].map(([index, blob]) => ({ name: files[index]!.name, blob }));
    await this.#saving(() => saveFiles(entries));
  }

  async #saving(work: () => Promise<unknown>): Promise<void> {
    this.saveError = null;
    try {
      await work();
    } catch (error) {
      this.saveError = `Could not save: ${(error as Error).message}`;
    }
  }

  close(): void {
    this.#session?.close();
    this.#session = null;
    this.#peer?.destroy();
    this.#peer = null;
  }

  #offline(attempt: number, problem: string): void {
    // Only while still trying to connect: once a session runs, it reports its own end.
    if (attempt !== this.#attempt || this.phase !== 'connecting') return;
    this.phase = 'offline';
    this.problem = problem;
    this.close();
  }

  #startSession(open: OpenConnection): void {
    const session = new ReceiverSession({
      channel: open.channel,
      maxMessageSize: open.maxMessageSize,
      fingerprints: open.fingerprints,
      secret: this.secret,
      openSink: (file, index) => this.#sink(file, index),
      onchange: (snapshot) => (this.snapshot = snapshot),
    });
    this.#session = session;
    this.phase = 'session';
    this.snapshot = session.snapshot;
    void session.start();
  }

  #sink(file: FileDescription, index: number): FileSink {
    const sink = createBlobSink(file.type);
    return {
      write: (bytes) => sink.write(bytes),
      abort: () => sink.abort(),
      close: () => {
        sink.close();
        if (sink.blob) this.blobs = new Map(this.blobs).set(index, sink.blob);
      },
    };
  }
}
