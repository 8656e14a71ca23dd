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
const CLOCK_TICKS = 100;

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
  const parents = new Map<number, number>();
  const usage = new Map<number, { rss: number; cpu: number }>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields.length < 22) return;
      parents.set(pid, Number(fields[1]));
      usage.set(pid, { rss: Number(fields[21]) * PAGE_BYTES, cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
    }),
  );
  const total: TreeUsage = { rss: 0, cpu: 0, rssByKind: {}, cpuByKind: {} };
  for (const [pid, { rss, cpu }] of usage) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) {
      if (at === root) {
        total.rss += rss;
        total.cpu += cpu;
        const kind = await kindOf(pid);
        total.rssByKind[kind] = (total.rssByKind[kind] ?? 0) + rss;
        total.cpuByKind[kind] = (total.cpuByKind[kind] ?? 0) + cpu;
        break;
      }
    }
  }
  return total;
}

/**
 * Pins `root` and all its descendants, every thread, to one CPU (taskset). Processes
 * the browser starts later (a renderer per page) inherit it from their parent.
 */
export async function pinTree(root: number, cpu: number): Promise<void> {
  const parents = new Map<number, number>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields.length > 1) parents.set(pid, Number(fields[1]));
    }),
  );
  const inTree = (pid: number) => {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) if (at === root) return true;
    return false;
  };
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue;
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {
      // It ended in between.
    }
  }
}

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
