/**
 * Memory and CPU time of a whole Chromium instance: its browser process and every
 * process under it (renderers, GPU, network and storage services), read from /proc.
 * Summing RSS counts shared library pages once per process, so the absolute figure
 * is high; what a benchmark compares is its growth.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

const PAGE_BYTES = 4096;
/** USER_HZ: the unit of utime and stime, 100 on Linux everywhere that matters. */
export const CLOCK_TICKS = 100;

/** The browser process of the Chromium that uses `profileDir` (its children carry --type=). */
export async function browserPid(profileDir: string): Promise<number> {
  for (const pid of await pids()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args.includes(`--user-data-dir=${profileDir}`) && !args.some((arg) => arg.startsWith('--type='))) return pid;
  }
  throw new Error(`no Chromium process uses ${profileDir}`);
}

export interface TreeUsage {
  /** Resident bytes. */
  rss: number;
  /** CPU seconds used so far, user and system, by the processes alive now. */
  cpu: number;
  /** Both by kind of process: browser, renderer, network service, GPU… */
  rssByKind: Record<string, number>;
  cpuByKind: Record<string, number>;
}

/** What `root` and all its descendants use, now. */
export async function treeUsage(root: number): Promise<TreeUsage> {
  const stats = await processStats();
  const total: TreeUsage = { rss: 0, cpu: 0, rssByKind: {}, cpuByKind: {} };
  for (const [pid, fields] of stats) {
    if (!inTree(stats, root, pid)) continue;
    const rss = Number(fields[STAT.rss]) * PAGE_BYTES;
    const cpu = (Number(fields[STAT.utime]) + Number(fields[STAT.stime])) / CLOCK_TICKS;
    total.rss += rss;
    total.cpu += cpu;
    const kind = await kindOf(pid);
    total.rssByKind[kind] = (total.rssByKind[kind] ?? 0) + rss;
    total.cpuByKind[kind] = (total.cpuByKind[kind] ?? 0) + cpu;
  }
  return total;
}

/**
 * Pins `root` and all its descendants, every thread, to one CPU (taskset). Processes
 * the browser starts later (a renderer per page) inherit it from their parent.
 */
export async function pinTree(root: number, cpu: number): Promise<void> {
  const stats = await processStats();
  for (const pid of stats.keys()) {
    if (!inTree(stats, root, pid)) continue;
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {
      // It ended in between.
    }
  }
}

/**
 * Where a field sits in `processStats`' lists (proc(5) numbers them from 1 and counts
 * the pid and the command name, which come before: its field n is our n - 3).
 */
export const STAT = { parent: 1, utime: 11, stime: 12, cutime: 13, cstime: 14, rss: 21 } as const;

/** Every process's /proc/<pid>/stat fields after the command name, by pid. */
export async function processStats(): Promise<Map<number, string[]>> {
  const stats = new Map<number, string[]>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // The command name is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields.length > STAT.rss) stats.set(pid, fields);
    }),
  );
  return stats;
}

/** Whether `pid` is `root` or one of its descendants, by the parents in `stats`. */
export function inTree(stats: Map<number, string[]>, root: number, pid: number): boolean {
  for (let at: number | undefined = pid; at !== undefined && at > 1; at = parentOf(stats, at)) if (at === root) return true;
  return false;
}

const parentOf = (stats: Map<number, string[]>, pid: number) => {
  const parent = stats.get(pid)?.[STAT.parent];
  return parent === undefined ? undefined : Number(parent);
};

const kinds = new Map<number, Promise<string>>();

/** What a Chromium process is, from its command line: --type, and for utilities the service. */
function kindOf(pid: number): Promise<string> {
  let kind = kinds.get(pid);
  if (!kind) {
    kind = readFile(`/proc/${pid}/cmdline`, 'utf8').then(
      (cmdline) => {
        // Child processes rewrite their title: one string of space-separated arguments.
        const args = cmdline.split(/[\0 ]/);
        const value = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
        const type = value('type');
        if (!type) return 'browser';
        const service = value('utility-sub-type');
        return service ? service.replace(/\.mojom\..*$/, '') : type;
      },
      () => 'gone',
    );
    kinds.set(pid, kind);
  }
  return kind;
}

async function pids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}
