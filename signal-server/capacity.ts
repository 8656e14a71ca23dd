/**
 * How many people one broker process lets in when the operator does not say
 * (FERRY_MAX_PEERS). Each open Ferry page holds one WebSocket to the broker, which
 * costs a file descriptor and some memory; the process should take as many as those
 * allow, keeping room for what else it serves, and no more: past its descriptors it
 * could not even accept a connection to say it is full.
 *
 * `npm run bench:broker` measures the cost of an idle peer (docs/benchmarks.md,
 * "Broker capacity"); the budgets here are several times that, for the bursts of a
 * busy minute.
 */
import fs from 'node:fs';
import v8 from 'node:v8';

/** Heap set aside per peer: an idle one takes about 6.5 KiB, a dial in flight more. */
export const HEAP_PER_PEER_BYTES = 32 * 1024;
/**
 * What the broker's one thread serves with room to spare: at 40,000 idle peers their
 * heartbeats and `peer`'s walk of its registry every 300 ms take about 0.4 of a core
 * of this class of machine, leaving the rest for people dialling. Past it, add a shard.
 */
export const PEERS_PER_THREAD = 40_000;
/** Descriptors kept for the rest: HTTP connections for pages and assets, STUN, files. */
const RESERVED_FILES_SHARE = 0.1;
const MIN_RESERVED_FILES = 256;
/** When the limit cannot be read (not Linux): what most systems allow a service. */
const UNKNOWN_OPEN_FILES = 10_000;

export interface ProcessLimits {
  /** The soft limit on open files (`ulimit -n`); Infinity when unlimited. */
  openFiles: number;
  /** V8's heap size limit (`--max-old-space-size`). */
  heapBytes: number;
}

export function maxPeersFor({ openFiles, heapBytes }: ProcessLimits): number {
  const reserved = Math.max(MIN_RESERVED_FILES, Math.ceil(openFiles * RESERVED_FILES_SHARE));
  const byFiles = Number.isFinite(openFiles) ? openFiles - reserved : Infinity;
  // Half the heap for peers: the rest is the server itself, messages in flight, garbage.
  const byHeap = Math.floor(heapBytes / 2 / HEAP_PER_PEER_BYTES);
  return Math.max(1, Math.min(byFiles, byHeap, PEERS_PER_THREAD));
}

export function processLimits(): ProcessLimits {
  return { openFiles: openFilesLimit(), heapBytes: v8.getHeapStatistics().heap_size_limit };
}

/** The soft "Max open files" of this process, from /proc on Linux. */
function openFilesLimit(): number {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
    if (soft === 'unlimited') return Infinity;
    const value = Number(soft);
    return Number.isInteger(value) && value > 0 ? value : UNKNOWN_OPEN_FILES;
  } catch {
    return UNKNOWN_OPEN_FILES;
  }
}
