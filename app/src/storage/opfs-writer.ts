/**
 * The main thread's side of the OPFS worker (opfs-writer.worker.ts): a small typed
 * bridge that numbers requests and matches the worker's answers to them.
 */
import type { Chunk } from './chunk.ts';
import type { WriterReply, WriterRequest } from './opfs-writer.worker.ts';

type Request = WriterRequest extends infer R ? (R extends { seq: number } ? Omit<R, 'seq'> : never) : never;

export class OpfsWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #seq = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.addEventListener('message', (event: MessageEvent<WriterReply>) => {
      const { seq, error } = event.data;
      const waiter = this.#waiting.get(seq);
      this.#waiting.delete(seq);
      if (!waiter) return;
      if (error) waiter.reject(Object.assign(new Error(error.message), { name: error.name }));
      else waiter.resolve();
    });
  }

  /** A writer, or null when this browser cannot write to OPFS from a worker. */
  static async start(): Promise<OpfsWriter | null> {
    if (typeof Worker === 'undefined' || !navigator.storage?.getDirectory) return null;
    try {
      const writer = new OpfsWriter(new Worker(new URL('./opfs-writer.worker.ts', import.meta.url), { type: 'module' }));
      await writer.#call({ op: 'probe' });
      return writer;
    } catch (error) {
      console.info('storing received files in IndexedDB: OPFS is not usable here', error);
      return null;
    }
  }

  write(id: string, chunks: readonly Chunk[]): Promise<void> {
    const buffers = new Set(chunks.map(({ bytes }) => bytes.buffer as ArrayBuffer));
    return this.#call({ op: 'write', id, chunks: chunks.map(({ file, offset, bytes }) => ({ file, offset, bytes })) }, [...buffers]);
  }

  /**
   * Closes the write handles of one file or of a whole transfer: a file with an open
   * sync access handle cannot be read, here or in the service worker.
   */
  close(id: string, file?: number): Promise<void> {
    return this.#call(file === undefined ? { op: 'close', id } : { op: 'close', id, file });
  }

  /** Deletes one file of a transfer, or the whole transfer. */
  delete(id: string, file?: number): Promise<void> {
    return this.#call(file === undefined ? { op: 'delete', id } : { op: 'delete', id, file });
  }

  #call(request: Request, transfer: Transferable[] = []): Promise<void> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.#worker.postMessage({ ...request, seq }, transfer);
    });
  }
}
