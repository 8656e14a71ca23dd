/**
 * A timeline of where a transfer waits, for the benchmark (`npm run bench` draws it).
 * Off unless a page turns it on (the bench's probe does, before Ferry's scripts run);
 * while off, each call below is one comparison.
 *
 * A span is time one side spent waiting on one thing; a sample is a level read at a
 * moment. Times are epoch milliseconds, so the two pages' timelines line up.
 */
export type SpanKind =
  /** Sender: the pump waited for the file's bytes to be read. */
  | 'read'
  /** Sender: the channel's queue was full; waited for `bufferedamountlow`. */
  | 'drain'
  /** Sender: everything asked for was sent; waited for the receiver to ask for more. */
  | 'grant'
  /** Sender and receiver: hashing on the main thread. */
  | 'hash'
  /** Receiver: a message waited in line behind the one being handled. */
  | 'inbox'
  /** Receiver: a write waited for the batch before it to be committed. */
  | 'store'
  /** Receiver: one batch put on disk (OPFS write and flush) and recorded (IndexedDB). */
  | 'commit';

export type SampleKind =
  /** Sender: the channel's bufferedAmount after a send. */
  | 'buffered'
  /** Sender: the channel's bufferedAmount when the receiver asked for more (0: it had run dry). */
  | 'granted'
  /** Receiver: bytes asked for and not yet stored, after a request. */
  | 'asked';

export type TraceEvent = { kind: SpanKind; at: number; ms: number; bytes?: number } | { kind: SampleKind; at: number; value: number };

let sink: TraceEvent[] | null = null;

/** Starts recording into `events` (the bench's probe passes an array it reads later). */
export function traceInto(events: TraceEvent[] | null): void {
  sink = events;
}

const clock = () => performance.timeOrigin + performance.now();

/** A start time for span(), or NaN while tracing is off. */
export function since(): number {
  return sink ? clock() : NaN;
}

/** Records a span that began at `start` (from since()) and ends now; spans under 0.1 ms are noise. */
export function span(kind: SpanKind, start: number, bytes?: number): void {
  if (!sink || Number.isNaN(start)) return;
  const ms = clock() - start;
  if (ms >= 0.1) sink.push(bytes === undefined ? { kind, at: start, ms } : { kind, at: start, ms, bytes });
}

export function sample(kind: SampleKind, value: number): void {
  sink?.push({ kind, at: clock(), value });
}

/** `promise`, its wait recorded as a span of `kind`; while off, `promise` itself (it sits on the hot path). */
export function waited<T>(kind: SpanKind, promise: Promise<T>): Promise<T> {
  if (!sink) return promise;
  const start = clock();
  return promise.finally(() => span(kind, start));
}
