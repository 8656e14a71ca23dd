/**
 * Memory of a whole Chromium instance: the resident set of its browser process and
 * every process under it (renderers, GPU, network and storage services), read from
 * /proc. Summing RSS counts shared library pages once per process, so the absolute
 * figure is high; what a benchmark compares is its growth.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_BYTES = 4096;

/** The browser process of the Chromium that uses `profileDir` (its children carry --type=). */
export async function browserPid(profileDir: string): Promise<number> {
  for (const pid of await pids()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args.includes(`--user-data-dir=${profileDir}`) && !args.some((arg) => arg.startsWith('--type='))) return pid;
  }
  throw new Error(`no Chromium process uses ${profileDir}`);
}

/** Resident bytes of `root` and all its descendants, now. */
export async function treeRss(root: number): Promise<number> {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields.length < 22) return;
      parents.set(pid, Number(fields[1]));
      rss.set(pid, Number(fields[21]) * PAGE_BYTES);
    }),
  );
  let total = 0;
  for (const [pid, bytes] of rss) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) {
      if (at === root) {
        total += bytes;
        break;
      }
    }
  }
  return total;
}

async function pids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}
