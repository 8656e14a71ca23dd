/**
 * Picked files read by a worker instead of the page's main thread. Chromium spends
 * about 0.25 ms of the reading thread on each File read however small the file, so a
 * share of 10,000 small files would cost the sending page seconds it needs to send;
 * a worker pays instead, and the reads asked for in one turn of the event loop go
 * to it in one message. Where there is no worker, or it fails, the page reads itself.
 */
import type { ReadReply, ReadRequest } from './file-reads.worker.ts';

interface Waiting {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface Read {
  blob: Blob;
  waiter: Waiting;
}

let worker: Worker | null | undefined;
/** Reads posted to the worker, by message number. */
const waiting = new Map<number, Read[]>();
let queued: Read[] = [];
let seq = 0;

/** The bytes of `blob` (a picked file or a slice of one). */
export function readBytes(blob: Blob): Promise<Uint8Array> {
  if (readingWorker() === null) return readHere(blob);
  return new Promise((resolve, reject) => {
    if (queued.length === 0) queueMicrotask(post);
    queued.push({ blob, waiter: { resolve, reject } });
  });
}

async function readHere(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

function readingWorker(): Worker | null {
  if (worker !== undefined) return worker;
  if (typeof Worker === 'undefined') return (worker = null);
  try {
    worker = new Worker(new URL('./file-reads.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return (worker = null);
  }
  worker.addEventListener('message', ({ data: { seq: answered, results } }: MessageEvent<ReadReply>) => {
    const reads = waiting.get(answered) ?? [];
    waiting.delete(answered);
    results.forEach((result, at) => {
      const { waiter } = reads[at]!;
      if ('bytes' in result) waiter.resolve(new Uint8Array(result.bytes));
      else waiter.reject(Object.assign(new Error(result.error.message), { name: result.error.name }));
    });
  });
  // A worker that cannot start or breaks: what it was asked is read here, and so is all that follows.
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    worker?.terminate();
    worker = null;
    for (const reads of waiting.values()) readAllHere(reads);
    waiting.clear();
  });
  return worker;
}

function post(): void {
  const batch = queued;
  queued = [];
  if (!worker) return readAllHere(batch);
  const request: ReadRequest = { seq: ++seq, blobs: batch.map(({ blob }) => blob) };
  waiting.set(request.seq, batch);
  worker.postMessage(request);
}

function readAllHere(reads: readonly Read[]): void {
  for (const { blob, waiter } of reads) readHere(blob).then(waiter.resolve, waiter.reject);
}
