/**
 * Holding a sending page's file reads, so that a test catches a transfer at a point
 * of its choosing however fast or slow the machine: once the page has read its limit,
 * no more bytes can go until the test releases them. Waiting for a progress figure
 * instead races the transfer (a fast machine finishes before the test acts).
 *
 * The page asks its reading worker for files (app/src/files/file-reads.ts): requests
 * past the limit wait in the page, and so do reads on the page itself, where there is
 * no worker. Both are looked up at each read, so the hold can be put into a page that
 * is already loaded, before its transfer starts; reloading the page drops it.
 *
 * Use the functions through the page: `sender.evaluate(holdReads, limit)` (Playwright
 * and Puppeteer alike), then `sender.evaluate(releaseReads)`.
 */
import { READ_BLOCK_BYTES, SENDER_READ_BLOCKS } from '../../app/src/transfer/read-ahead.ts';
import { MiB } from './fixtures.ts';

/**
 * What a sender reads at once as it starts a large file: the block it sends and the
 * one after it, asked of the reading worker in one message, which a hold lets pass or
 * holds whole. A file larger than this is caught part-way by `holdReads(1)`.
 */
export const FIRST_READ_BYTES = 2 * READ_BLOCK_BYTES;

/**
 * How far below the hold a test may wait for the receiver's figure. The sender reads
 * ahead of what it sends, for all of a receiver's lanes, SENDER_READ_BLOCKS at most
 * (transfer/read-ahead.ts): bytes read that do not reach the receiver while the hold
 * lasts. And a
 * receiving page shows its progress at most every 100 ms (transfer/receiver.ts) and
 * catches up once the interval is over, so "more than X" is reached when
 * X + PROGRESS_LAG is held; 16 MiB covers 100 ms at 160 MiB/s, five times the fastest
 * raw channel measured here, for a test that looks during that interval.
 */
export const PROGRESS_LAG = SENDER_READ_BLOCKS * READ_BLOCK_BYTES + 16 * MiB;

declare global {
  interface Window {
    /** Releases the held reads and every later one; says how many bytes were read before. */
    __releaseReads?: () => number;
  }
}

/**
 * Runs in the sending page: from now on its file reads pass until `limit` bytes have
 * been read, then wait. It first waits for the share to have hashed every file (the
 * page reads each file once to hash it, from the moment it is picked, small files only
 * while no receiver is being sent files): those reads are not the transfer's, and a
 * hold that caught them would hold the first block, which waits for its file's tree.
 * Put the hold in before the receiver asks for files, as every test here does.
 */
export async function holdReads(limit: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const hashed = () => document.querySelector('[data-testid=share]')?.getAttribute('data-hashed') === 'true';
    if (hashed()) return resolve();
    const watch = new MutationObserver(() => {
      if (!hashed()) return;
      watch.disconnect();
      resolve();
    });
    watch.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-hashed'] });
  });
  let given = 0;
  let held: (() => void)[] | null = [];
  const pass = (bytes: number, go: () => void) => {
    if (held && given >= limit) return void held.push(go);
    given += bytes;
    go();
  };
  window.__releaseReads = () => {
    const read = given;
    const waiting = held ?? [];
    held = null;
    waiting.forEach((go) => go());
    return read;
  };
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: never[]) {
    const blobs = (message as { blobs?: unknown } | null)?.blobs;
    if (!Array.isArray(blobs)) return post.call(this, message, ...rest);
    pass(
      blobs.reduce((sum: number, blob: Blob) => sum + blob.size, 0),
      () => post.call(this, message, ...rest),
    );
  };
  const read = Blob.prototype.arrayBuffer;
  Blob.prototype.arrayBuffer = function (this: Blob) {
    return new Promise<ArrayBuffer>((resolve, reject) => pass(this.size, () => void read.call(this).then(resolve, reject)));
  };
}

/** Runs in the sending page: lets its held reads go, and all that follow; returns the bytes it had read. */
export function releaseReads(): number {
  return window.__releaseReads?.() ?? 0;
}
