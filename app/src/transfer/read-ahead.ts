/**
 * Reads a file for the sender in large blocks, one block ahead of what it sends.
 * Reading a file in the browser is an asynchronous trip to another process; asking
 * for each message's bytes separately, and only when the channel wants them, leaves
 * the channel idle during every trip. Blocks lie at fixed places in the file
 * (multiples of the block size), and each is let go once every byte of it has been
 * taken: the lanes of one receiver (lanes.ts) send neighbouring ranges at once, and
 * share the blocks they fall in rather than each reading its own, and ahead.
 */
import type { FileSource } from './file-source.ts';

export const READ_BLOCK_BYTES = 2 * 1024 * 1024;
/**
 * Blocks a sender holds read for one receiver, at most. Its lanes share one window
 * (3 MiB, receiver.ts, and at most a block more per lane: 5 MiB with eight lanes),
 * which lies across at most four blocks, and one more is read ahead.
 */
export const SENDER_READ_BLOCKS = 6;
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
  bytes: Promise<Uint8Array>;
  /** Its length: the block size, or less at the file's end. */
  size: number;
  /** Bytes of it handed out so far. */
  taken: number;
}

export class ReadAhead {
  readonly #blockBytes: number;
  /** Blocks held at most, read or being read: the oldest goes first past this. */
  readonly #capacity: number;
  /** Blocks read or being read, by file and by their number in it, oldest first. */
  readonly #blocks = new Map<FileSource, Map<number, Block>>();
  /** How many blocks that is. */
  #count = 0;
  /** Small files to read whole before they are needed, in the order they will be sent. */
  #upcoming: FileSource[] = [];
  /** Their reads under way, and the bytes those cover. */
  readonly #early = new Map<FileSource, Block>();
  #earlyBytes = 0;

  /** `capacity`: two blocks (the one sent and the next) for each range sent at the same time. */
  constructor(blockBytes = READ_BLOCK_BYTES, capacity = 2) {
    this.#blockBytes = blockBytes;
    this.#capacity = capacity;
  }

  /** Fills `target` with the source's bytes from `offset`; fails if the file has fewer. */
  async fill(source: FileSource, offset: number, target: Uint8Array): Promise<void> {
    for (let filled = 0; filled < target.length; ) {
      const at = offset + filled;
      const index = Math.floor(at / this.#blockBytes);
      const block = this.#blockAt(source, index);
      const bytes = await block.bytes;
      const from = at - index * this.#blockBytes;
      const piece = bytes.subarray(from, from + target.length - filled);
      if (piece.length === 0) throw new Error(`${source.name} changed while it was being sent`);
      target.set(piece, filled);
      filled += piece.length;
      block.taken += piece.length;
      if (block.taken >= block.size) this.#drop(source, index, block);
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
      if (this.#blocks.has(source) || this.#early.has(source)) continue;
      this.#early.set(source, this.#read(source, 0));
      this.#earlyBytes += source.size;
    }
  }

  /** Block `index` of `source`, starting a read of the one after it. */
  #blockAt(source: FileSource, index: number): Block {
    const early = index === 0 ? this.#early.get(source) : undefined;
    if (early) {
      this.#early.delete(source);
      this.#earlyBytes -= source.size;
      this.#keep(source, 0, early);
      if (this.#early.size <= EARLY_FILES / 2 && this.#earlyBytes <= EARLY_BYTES / 2) this.#readEarly();
    }
    const block = this.#held(source, index) ?? this.#keep(source, index, this.#read(source, index));
    const next = index + 1;
    if (next * this.#blockBytes < source.size && !this.#held(source, next)) this.#keep(source, next, this.#read(source, next));
    return block;
  }

  #held(source: FileSource, index: number): Block | undefined {
    return this.#blocks.get(source)?.get(index);
  }

  #keep(source: FileSource, index: number, block: Block): Block {
    // The oldest block goes to make room: it is the furthest behind, or read ahead for nothing.
    while (this.#count >= this.#capacity) {
      const [oldest, blocks] = this.#blocks.entries().next().value!;
      const [first, dropped] = blocks.entries().next().value!;
      this.#drop(oldest, first, dropped);
    }
    let blocks = this.#blocks.get(source);
    if (!blocks) this.#blocks.set(source, (blocks = new Map()));
    blocks.set(index, block);
    this.#count += 1;
    return block;
  }

  #drop(source: FileSource, index: number, block: Block): void {
    const blocks = this.#blocks.get(source);
    if (blocks?.get(index) !== block) return;
    blocks.delete(index);
    this.#count -= 1;
    if (blocks.size === 0) this.#blocks.delete(source);
  }

  #read(source: FileSource, index: number): Block {
    const start = index * this.#blockBytes;
    const end = Math.min(source.size, start + this.#blockBytes);
    const bytes = source.read(start, end);
    // A block read ahead may never be wanted (the link ended): its failure is not news.
    bytes.catch(() => {});
    return { bytes, size: end - start, taken: 0 };
  }
}
