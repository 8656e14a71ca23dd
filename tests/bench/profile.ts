/**
 * A CPU profile of one page's main thread (the DevTools protocol's sampling
 * profiler), saved as .cpuprofile for DevTools and summarized as the functions that
 * took the most time themselves.
 */
import type { CDPSession, Page } from 'playwright-core';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Starts profiling `page`; the returned function stops and returns the profile. */
export async function startProfiler(page: Page): Promise<() => Promise<CpuProfile>> {
  const session: CDPSession = await page.context().newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 1000 });
  await session.send('Profiler.start');
  return async () => {
    const { profile } = await session.send('Profiler.stop');
    await session.detach().catch(() => {});
    return profile as CpuProfile;
  };
}

/** The `count` functions with the most self time, as Markdown table rows: name, where, ms, share. */
export function topSelfTime(profile: CpuProfile, count: number): { name: string; where: string; ms: number; share: number }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = nodes.get(samples[i]!);
    // Each delta is the time since the previous sample; charge it to this sample's function.
    const us = Math.max(0, deltas[i] ?? 0);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.replace(/^.*\//, '').replace(/\?.*$/, '')}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    self.set(key, entry);
  }
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map(({ name, where, us }) => ({ name, where, ms: us / 1000, share: total > 0 ? us / total : 0 }));
}
