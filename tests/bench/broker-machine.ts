/**
 * What the machine as a whole is doing while `npm run bench:broker` measures: the
 * kernel's memory for sockets, and CPU taken by anything but the bench. The broker
 * and its clients share two cores, so anything else running (another session's
 * tests, in a namespace this one cannot see, or other machines on the same host)
 * slows both; a step measured on a busy machine says so in its figures.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc's CPU times, 100 on Linux everywhere that matters. */
const CLOCK_TICKS = 100;

/** Slab and TCP buffer memory of the whole machine: what the kernel spends on sockets shows here. */
export function kernelMemory(): number {
  const slab = Number(/^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
  const tcpPages = Number(/^TCP:.* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1]);
  return slab + tcpPages * 4096;
}

/** This process's soft limit on open files (`ulimit -n`), which its children inherit. */
export function openFilesLimit(): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
}

export interface CpuSnapshot {
  at: number;
  /** CPU ms the whole machine has been busy (all cores). */
  machineMs: number;
  /** CPU ms the hypervisor gave to other machines while this one wanted to run. */
  stealMs: number;
  /** CPU ms of the bench's own processes. */
  oursMs: number;
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  const ms = 1000 / CLOCK_TICKS;
  return {
    at: performance.now(),
    machineMs: (user + nice + system + irq + softirq) * ms,
    stealMs: steal * ms,
    oursMs: pids.reduce((sum, pid) => sum + processCpuMs(pid), 0),
  };
}

/** What else took CPU between two snapshots, in ms per second (2,000 = both cores). */
export interface OtherLoad {
  /** Processes other than the bench's, in this machine. */
  othersMsPerSecond: number;
  /** Other machines on the same host. */
  stealMsPerSecond: number;
}

export function otherLoad(before: CpuSnapshot, after: CpuSnapshot): OtherLoad {
  const seconds = (after.at - before.at) / 1000;
  const others = after.machineMs - before.machineMs - (after.oursMs - before.oursMs);
  return { othersMsPerSecond: Math.max(0, others) / seconds, stealMsPerSecond: (after.stealMs - before.stealMs) / seconds };
}

function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return 0; // it has ended
  }
}
