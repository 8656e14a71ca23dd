/**
 * What `npm run bench:broker` (broker.ts) asks of the broker process
 * (broker-server.ts) and of each client worker (broker-clients.ts), and what they
 * answer. Times are milliseconds, sizes bytes.
 */
import type { BrokerStats } from '../../signal-server/broker.ts';

export interface LoopDelay {
  /** Delay beyond the histogram's timer interval, since the last reset. */
  p50: number;
  p99: number;
  max: number;
}

export interface ServerSample {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 knows of: socket buffers, Buffers. */
  external: number;
  /** CPU time used since the process started, user and system. */
  cpuMs: number;
  /** When the sample was taken, on the broker process's monotonic clock. */
  at: number;
  loop: LoopDelay;
  broker: BrokerStats;
}

export type ServerCalls = {
  /** Waits for the server to listen. */
  start: [Record<string, never>, { url: string; heapLimit: number }];
  /** Memory (after a full collection when `gc`), CPU and the loop delay since the last `resetLoop`. */
  sample: [{ gc: boolean; resetLoop: boolean }, ServerSample];
};

/** `count` peers to register from the loopback source address `address`. */
export interface AddressBlock {
  address: string;
  count: number;
}

export interface Opened {
  /** Peers registered (OPEN received). */
  opened: number;
  /** Refused with an ERROR instead of OPEN (the broker's cap on peers), or never answered. */
  refused: number;
  /** The last refusal's reason. */
  reason?: string;
  /** Answers of HTTP 429 that were waited out and retried. */
  retried: number;
}

export interface SetupsDone {
  done: number;
  failed: number;
  ms: number;
  /** Each setup's time from its OFFER sent to its fourth CANDIDATE received. */
  setupMs: number[];
}

export interface Probed {
  /** OFFER delivery times. */
  latencies: number[];
  lost: number;
  /** The worker's own event-loop delay meanwhile. */
  loop: LoopDelay;
}

export interface ClientStatus {
  /** Peers registered and still open. */
  open: number;
  /** Peers whose socket closed without the worker closing it. */
  dropped: number;
  cpuMs: number;
}

export type ClientCalls = {
  open: [{ url: string; blocks: AddressBlock[]; concurrency: number }, Opened];
  /** `count` session setups between pairs of this worker's peers, at most `concurrency` at a time. */
  setups: [{ count: number; concurrency: number }, SetupsDone];
  /** OFFERs between random pairs of this worker's peers, evenly spread, for `seconds`. */
  probe: [{ perSecond: number; seconds: number }, Probed];
  status: [Record<string, never>, ClientStatus];
};
