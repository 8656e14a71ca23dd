/**
 * Receives a file into a Blob. Chunks are folded into Blob parts every few MiB, which
 * lets Chromium move them out of the page's heap (its blob store pages large blobs to
 * disk), so the page does not hold the whole file in JS memory. Still, the browser
 * must keep the whole file somewhere until it is saved; see the README for the sizes
 * this is good for. Durable storage on disk replaces it in a later step.
 */
import type { FileSink } from '../transfer/receiver.ts';

const FOLD_BYTES = 8 * 1024 * 1024;

/** Above this total the receive view warns that phones may not cope (see README). */
export const BLOB_COMFORT_BYTES = 500 * 1000 * 1000;

export interface BlobSink extends FileSink {
  /** The finished file, once `close` has run. */
  readonly blob: Blob | null;
}

export function createBlobSink(type: string): BlobSink {
  let pending: Uint8Array<ArrayBuffer>[] = [];
  let pendingBytes = 0;
  let parts: Blob[] = [];
  let blob: Blob | null = null;

  const fold = () => {
    if (pending.length === 0) return;
    parts.push(new Blob(pending));
    pending = [];
    pendingBytes = 0;
  };

  return {
    get blob() {
      return blob;
    },
    write(bytes) {
      // Copy: the bytes view a channel message buffer that we do not own.
      pending.push(bytes.slice() as Uint8Array<ArrayBuffer>);
      pendingBytes += bytes.length;
      if (pendingBytes >= FOLD_BYTES) fold();
    },
    close() {
      fold();
      // An empty type makes some browsers append ".txt" to the download's name.
      blob = new Blob(parts, { type: type || 'application/octet-stream' });
      parts = [];
    },
    abort() {
      pending = [];
      parts = [];
      blob = null;
    },
  };
}
