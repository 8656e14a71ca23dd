/**
 * What moving a file costs each browser in CPU: the CPU seconds its whole process
 * tree (browser, renderers with their workers, GPU, network and storage services)
 * spent over a round, per GiB moved. For `npm run bench`.
 *
 * Read from /proc/<pid>/stat rather than the DevTools protocol's
 * SystemInfo.getProcessInfo: that one is a browser-level call Playwright cannot make
 * on a persistent context (the bench's on-disk profiles) and Chromium fills it from
 * the same counters, so it would add nothing but a dependency on that. Why these
 * counters are accurate enough:
 * - utime + stime of a process covers all its threads, those already ended too, and
 *   the kernel derives their sum from the scheduler's nanosecond runtime (it uses the
 *   tick samples only to split it into user and system), so the total is exact to the
 *   10 ms it is printed in, per process;
 * - a process that ends during the round is not lost: once its parent in the tree
 *   reaps it (Chromium's zygote reaps renderers; the browser its other children), its
 *   time moves into the parent's cutime + cstime, so summing all four over the tree
 *   counts every process once, alive or not.
 */
import { CLOCK_TICKS, inTree, processStats, STAT } from './processes.ts';

const GiB = 1024 ** 3;

/** CPU seconds each side spent. */
export interface CpuSpent {
  sender: number;
  receiver: number;
}

/** CPU seconds `root` and every process under it have used so far, those already reaped included. */
export async function treeCpuSeconds(root: number): Promise<number> {
  const stats = await processStats();
  let ticks = 0;
  for (const [pid, fields] of stats) {
    if (!inTree(stats, root, pid)) continue;
    ticks += [STAT.utime, STAT.stime, STAT.cutime, STAT.cstime].reduce((sum, field) => sum + Number(fields[field]), 0);
  }
  return ticks / CLOCK_TICKS;
}

/** Starts counting both browsers' CPU time; the returned function gives what each spent since. */
export async function startCpuCount(senderPid: number, receiverPid: number): Promise<() => Promise<CpuSpent>> {
  const both = () => Promise.all([treeCpuSeconds(senderPid), treeCpuSeconds(receiverPid)]);
  const [senderBefore, receiverBefore] = await both();
  return async () => {
    const [sender, receiver] = await both();
    return { sender: sender - senderBefore, receiver: receiver - receiverBefore };
  };
}

/** CPU seconds per GiB of `bytes` moved. */
export const perGiB = (cpuSeconds: number, bytes: number) => cpuSeconds / (bytes / GiB);
