/**
 * Reads a file for the sender in large blocks, one block ahead of what it sends.
 * Reading a file in the browser is an asynchronous trip to another process; asking
 * for each message's bytes separately, and only when the channel wants them, leaves
 * the channel idle during every trip. Consecutive requests continue the same stream
 * of blocks, so the read-ahead survives the receiver asking a window at a time.
 */
import type { FileSource } from './file-source.ts';

export const READ_BLOCK_BYTES = 2 * 1024 * 1024;
/**
 * Small files about to be sent are read this many at a time, and no more than this
 * many bytes: each read is a trip, and 10,000 tiny files one trip at a time would
 * leave the channel idle for most of the transfer. Reads are topped up once half of
 * them have been taken, in one go, so a source that gathers the reads asked for
 * together (the page's reading worker) gets them in groups.
 */
export const EARLY_FILES = 128;
export const EARLY_BYTES = 4 * 1024 * 1024;

interface Block {
  start: number;
  bytes: Promise<Uint8Array>;
}

export class ReadAhead {
  readonly #blockBytes: number;
  #source: FileSource | null = null;
  #current: Block | null = null;
  #next: Block | null = null;
  /** Small files to read whole before they are needed, in the order they will be sent. */
  #upcoming: FileSource[] = [];
  /** Their reads under way, and the bytes those cover. */
  readonly #early = new Map<FileSource, Block>();
  #earlyBytes = 0;

  constructor(blockBytes = READ_BLOCK_BYTES) {
    this.#blockBytes = blockBytes;
  }

  /** Fills `target` with the source's bytes from `offset`; fails if the file has fewer. */
  async fill(source: FileSource, offset: number, target: Uint8Array): Promise<void> {
    for (let filled = 0; filled < target.length; ) {
      const at = offset + filled;
      const block = this.#blockAt(source, at);
      const bytes = await block.bytes;
      const from = at - block.start;
      const piece = bytes.subarray(from, from + target.length - filled);
      if (piece.length === 0) throw new Error(`${source.name} changed while it was being sent`);
      target.set(piece, filled);
      filled += piece.length;
    }
  }

  /**
   * Files about to be sent whole, from their first byte: those that fit in one block
   * are read ahead, a few at a time, so that each is there when its turn comes.
   */
  expect(sources: readonly FileSource[]): void {
    for (const source of sources) if (source.size > 0 && source.size <= this.#blockBytes) this.#upcoming.push(source);
    this.#readEarly();
  }

  #readEarly(): void {
    while (this.#upcoming.length > 0 && this.#early.size < EARLY_FILES && this.#earlyBytes < EARLY_BYTES) {
      const source = this.#upcoming.shift()!;
      if (source === this.#source || this.#early.has(source)) continue;
      this.#early.set(source, this.#read(source, 0));
      this.#earlyBytes += source.size;
    }
  }

  /** The block holding `at`, starting a read of the one after it. */
  #blockAt(source: FileSource, at: number): Block {
    if (source !== this.#source) {
      this.#source = source;
      this.#current = this.#next = null;
      const early = this.#early.get(source);
      if (early) {
        this.#early.delete(source);
        this.#earlyBytes -= source.size;
        this.#current = early;
        if (this.#early.size <= EARLY_FILES / 2 && this.#earlyBytes <= EARLY_BYTES / 2) this.#readEarly();
      }
    }
    const current = this.#current;
    if (current && at >= current.start && at < current.start + this.#blockBytes) return current;
    const next = this.#next;
    // Continuing into the block already on its way, or starting over somewhere else.
    this.#current = next && at >= next.start && at < next.start + this.#blockBytes ? next : this.#read(source, at);
    const following = this.#current.start + this.#blockBytes;
    this.#next = following < source.size ? this.#read(source, following) : null;
    return this.#current;
  }

  #read(source: FileSource, start: number): Block {
    const bytes = source.read(start, Math.min(source.size, start + this.#blockBytes));
    // A block read ahead may never be wanted (the link ended): its failure is not news.
    bytes.catch(() => {});
    return { start, bytes };
  }
}
