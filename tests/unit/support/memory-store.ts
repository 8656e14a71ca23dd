/** An in-memory ReceiveStore, faithful to the contract the browser stores keep. */
import { addRange, type RangeList } from '../../../app/src/transfer/ranges.ts';
import { StorageFullError, type ReceiveStore } from '../../../app/src/transfer/store.ts';
import type { FileDescription } from '../../../app/src/transfer/messages.ts';

export interface MemoryStore extends ReceiveStore {
  files: readonly FileDescription[];
  bytes(file: number): Uint8Array;
  verified: (string | null)[];
  /** Roots pinned by `pin`, by file. */
  pins: (string | null)[];
  /** Payload bytes written, counting rewrites. */
  written: number;
  /** Refuse writes beyond this many stored bytes (to model a full disk). */
  capacity: number;
  /** A failure found only when committing (a store that commits in the background). */
  failOnFlush: Error | null;
}

export function memoryStore(files: readonly FileDescription[]): MemoryStore {
  const data = files.map((file) => new Uint8Array(file.size));
  const ranges: RangeList[] = files.map(() => []);
  const store: MemoryStore = {
    files,
    verified: files.map(() => null),
    pins: files.map(() => null),
    written: 0,
    capacity: Infinity,
    failOnFlush: null,
    ranges: (file) => ranges[file]!,
    isVerified: (file) => store.verified[file] !== null,
    bytes: (file) => data[file]!,
    async write(file, offset, bytes) {
      // Summed over every file only when there is a limit: per write, that is quadratic in the file count.
      const stored = store.capacity === Infinity ? 0 : ranges.reduce((sum, list) => sum + list.reduce((s, [a, b]) => s + b - a, 0), 0);
      if (stored + bytes.length > store.capacity) throw new StorageFullError('no room left to store the transfer');
      const length = bytes.length;
      data[file]!.set(bytes, offset);
      // Like the OPFS store, take the buffer: a caller that reads it afterwards sees nothing.
      structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] });
      ranges[file] = addRange(ranges[file]!, offset, offset + length);
      store.written += length;
    },
    async flush() {
      if (store.failOnFlush) throw store.failOnFlush;
    },
    async settle(file, root) {
      store.verified[file] = root;
    },
    pinned: (file) => store.pins[file] ?? store.verified[file] ?? null,
    async pin(roots) {
      for (const { file, root } of roots) store.pins[file] = root;
    },
  };
  return store;
}
