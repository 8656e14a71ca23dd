/**
 * net/presence.ts over a hand-moved clock, a server that answers when the test says
 * and presence streams the test ends.
 */
import { describe, expect, it } from 'vitest';
import { Presence, REFUSED_STREAM_DELAYS_MS, retryDelay, RETRY_DELAYS_MS } from '../../app/src/net/presence.ts';
import { tick } from './fake-broker.ts';
import { ManualClock } from './manual-clock.ts';

function watched({ online = true, up = true } = {}) {
  const clock = new ManualClock();
  const server = { up, probes: 0 };
  const streams: { ended: boolean; stopped: boolean; end: (opened: boolean) => void }[] = [];
  const changes: boolean[] = [];
  const presence = new Presence({
    online,
    onchange: (now) => changes.push(now),
    probe: async () => {
      server.probes += 1;
      return server.up;
    },
    watch: (onend) => {
      const stream = {
        ended: false,
        stopped: false,
        end: (opened: boolean) => {
          stream.ended = true;
          onend(opened);
        },
      };
      streams.push(stream);
      return () => void (stream.stopped = true);
    },
    clock,
    // The longest wait of each step, so the test knows when each check is due.
    random: () => 0,
  });
  const open = () => streams.filter((stream) => !stream.ended && !stream.stopped);
  return { clock, server, streams, open, changes, presence };
}

describe('the server’s presence', () => {
  it('holds one stream while the server is there, and asks nothing more', async () => {
    const { clock, server, open, presence } = watched();
    expect(await presence.start()).toBe(true);
    expect(open()).toHaveLength(1);
    expect(server.probes).toBe(1);
    expect(clock.next).toBeNull();
  });

  it('checks once when the stream closes, and says offline at once if the server does not answer', async () => {
    const { server, streams, open, changes, presence } = watched();
    await presence.start();
    server.up = false;
    streams[0]!.end(true);
    await tick();
    expect(changes).toEqual([false]);
    expect(presence.online).toBe(false);
    expect(open()).toHaveLength(0);
  });

  it('while offline asks on the schedule, and is online again with the first answer', async () => {
    const { clock, server, streams, open, changes, presence } = watched();
    await presence.start();
    server.up = false;
    streams[0]!.end(true);
    await tick();
    for (const delay of RETRY_DELAYS_MS) {
      expect(clock.next).toBe(delay);
      clock.advance(delay);
      await tick();
    }
    const probes = server.probes;
    // The last step repeats.
    expect(clock.next).toBe(RETRY_DELAYS_MS.at(-1));
    server.up = true;
    clock.advance(clock.next!);
    await tick();
    expect(server.probes).toBe(probes + 1);
    expect(changes).toEqual([false, true]);
    expect(open()).toHaveLength(1);
    expect(clock.next).toBeNull();
  });

  it('never waits more than 4 s between checks, and spreads them by up to a quarter', () => {
    for (let failures = 0; failures < 20; failures++) {
      expect(retryDelay(failures, 0)).toBeLessThanOrEqual(4000);
      expect(retryDelay(failures, 0.999)).toBeGreaterThan(0.75 * retryDelay(failures, 0) - 1);
    }
  });

  it('a stream that closed while the server still answers is opened again, with nothing said', async () => {
    const { streams, open, changes, presence } = watched();
    await presence.start();
    streams[0]!.end(true);
    await tick();
    expect(changes).toEqual([]);
    expect(open()).toHaveLength(1);
    expect(streams).toHaveLength(2);
  });

  it('a stream the server refuses is tried again only after a growing wait', async () => {
    const { clock, streams, open, presence } = watched();
    await presence.start();
    streams[0]!.end(false);
    await tick();
    expect(open()).toHaveLength(0);
    expect(clock.next).toBe(REFUSED_STREAM_DELAYS_MS[0]);
    clock.advance(REFUSED_STREAM_DELAYS_MS[0]!);
    expect(open()).toHaveLength(1);
    streams[1]!.end(false);
    await tick();
    expect(clock.next).toBe(REFUSED_STREAM_DELAYS_MS[1]);
    clock.advance(REFUSED_STREAM_DELAYS_MS[1]!);
    // Accepted at last: the next loss is checked and the stream reopened at once.
    streams[2]!.end(true);
    await tick();
    expect(open()).toHaveLength(1);
    expect(clock.next).toBeNull();
  });

  it('a broker socket stands in for the stream; its loss is checked like the stream’s', async () => {
    const { server, open, changes, presence } = watched();
    await presence.start();
    presence.setHeld(true);
    expect(open()).toHaveLength(0);
    server.up = false;
    await presence.check();
    expect(changes).toEqual([false]);
    server.up = true;
    presence.setHeld(false);
    await presence.check();
    expect(changes).toEqual([false, true]);
    expect(open()).toHaveLength(1);
  });

  it('a broker socket that opens shows the server is back, with no request and no more checks due', async () => {
    const { clock, server, changes, presence } = watched();
    await presence.start();
    server.up = false;
    await presence.check();
    const probes = server.probes;
    expect(clock.next).not.toBeNull();
    presence.setHeld(true);
    expect(changes).toEqual([false, true]);
    expect(server.probes).toBe(probes);
    expect(clock.next).toBeNull();
  });

  it('a hidden page holds no stream and asks nothing; shown again, it asks at once', async () => {
    const { clock, server, open, changes, presence } = watched();
    await presence.start();
    presence.setVisible(false);
    expect(open()).toHaveLength(0);
    server.up = false;
    presence.networkLost();
    expect(changes).toEqual([false]);
    expect(clock.next).toBeNull();
    server.up = true;
    presence.setVisible(true);
    await tick();
    expect(changes).toEqual([false, true]);
    expect(open()).toHaveLength(1);
  });

  it('the network gone is offline at once, without asking; back, it asks', async () => {
    const { server, changes, presence } = watched();
    await presence.start();
    const probes = server.probes;
    presence.networkLost();
    expect(changes).toEqual([false]);
    expect(server.probes).toBe(probes);
    expect(await presence.check()).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('reasons to check that come together make one request', async () => {
    const { server, presence } = watched({ online: false });
    await Promise.all([presence.start(), presence.check(), presence.check()]);
    expect(server.probes).toBe(1);
  });
});
