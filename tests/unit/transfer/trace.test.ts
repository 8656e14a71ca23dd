import { afterEach, describe, expect, it } from 'vitest';
import { sample, since, span, traceInto, waited, type TraceEvent } from '../../../app/src/transfer/trace.ts';
import { summarizeTrace } from '../../bench/timeline.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the transfer timeline', () => {
  afterEach(() => traceInto(null));

  it('records nothing while off, and costs no clock reading', () => {
    expect(since()).toBeNaN();
    span('drain', since());
    sample('buffered', 5);
    const events: TraceEvent[] = [];
    traceInto(events);
    span('drain', NaN); // a span begun while tracing was off
    expect(events).toEqual([]);
  });

  it('records waits and levels once on', async () => {
    const events: TraceEvent[] = [];
    traceInto(events);
    await waited('grant', pause(5));
    sample('asked', 1024);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ kind: 'grant' });
    expect((events[0] as { ms: number }).ms).toBeGreaterThanOrEqual(4);
    expect(events[1]).toMatchObject({ kind: 'asked', value: 1024 });
  });

  it('counts overlapping spans once when it sums a lane', () => {
    const summary = summarizeTrace({
      firstAt: 0,
      lastAt: 100,
      sender: [
        { kind: 'grant', at: 10, ms: 20 },
        { kind: 'grant', at: 20, ms: 20 },
        { kind: 'drain', at: 90, ms: 30 }, // runs past the end: only 10 ms count
        { kind: 'granted', at: 10, value: 0 },
        { kind: 'granted', at: 30, value: 4096 },
      ],
      receiver: [],
    });
    expect(summary.shares.find((lane) => lane.label.includes('to ask'))!.share).toBeCloseTo(0.3);
    expect(summary.senderWaiting).toBeCloseTo(0.4);
    expect(summary.granted.dry).toBe(0.5);
  });
});
