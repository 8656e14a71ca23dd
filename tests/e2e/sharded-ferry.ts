/**
 * Ferry's sharded layout as docs/operating.md runs it: broker processes started with
 * `node --import tsx signal-server/main.ts` (two shards, a primary and a backup
 * each), behind Debian's HAProxy with signal-server/haproxy/shards.cfg, all inside
 * the private network. Processes can be killed with SIGKILL and started again; the
 * load balancer's own statistics say where each session went.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = path.join(REPOSITORY, 'signal-server/main.ts');
export const SHARDED_CONFIG = path.join(REPOSITORY, 'signal-server/haproxy/shards.cfg');
/** Debian's HAProxy, also when /usr/sbin is not on the PATH. */
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

/** The four processes of the layout, as shards.cfg names them. */
export type ProcessName = 'a1' | 'a2' | 'b1' | 'b2';
const PROCESSES: ProcessName[] = ['a1', 'a2', 'b1', 'b2'];

/** One server of one HAProxy backend, as `show stat` reports it. */
export interface ServerStat {
  /** Sessions open now. */
  current: number;
  /** Sessions since HAProxy started. */
  total: number;
  /** UP, DOWN, no check… */
  status: string;
}

/** A process's output, kept for assertions and for the failure message of a test. */
class Output {
  text = '';
  take(name: string, chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    if (process.env.FERRY_DEBUG) process.stderr.write(`[${name}] ${chunk.toString('utf8')}`);
  }
}

export class ShardedFerry {
  /** Where browsers open Ferry: the load balancer. */
  readonly origin: string;
  readonly #ports: Record<ProcessName, number>;
  readonly #stats: string;
  readonly #children = new Map<string, ChildProcess>();
  /** What each process has printed, across restarts. */
  readonly output = new Map<string, Output>();

  private constructor(host: string, lbPort: number, ports: Record<ProcessName, number>, stats: string) {
    this.#ports = ports;
    this.#stats = stats;
    this.origin = `http://${host}:${lbPort}`;
  }

  /**
   * Starts the four processes and HAProxy with `config` (the layout's own, or a
   * test's variant of it), and resolves once HAProxy sees every process up.
   */
  static async start(host: string, scratch: string, config = SHARDED_CONFIG): Promise<ShardedFerry> {
    const [lbPort, ...ports] = await Promise.all([freePort(host), ...PROCESSES.map(() => freePort('127.0.0.1'))]);
    const ferry = new ShardedFerry(host, lbPort!, Object.fromEntries(PROCESSES.map((name, i) => [name, ports[i]!])) as Record<ProcessName, number>, path.join(scratch, `haproxy-${lbPort}.sock`));
    try {
      await Promise.all(PROCESSES.map((name) => ferry.startProcess(name)));
      ferry.#spawn('haproxy', HAPROXY, ['-db', '-f', config], {
        FERRY_LB_BIND: `${host}:${lbPort}`,
        FERRY_LB_STATS: ferry.#stats,
        ...Object.fromEntries(PROCESSES.map((name) => [`FERRY_${name.toUpperCase()}`, `127.0.0.1:${ferry.#ports[name]}`])),
      });
      await ferry.untilStatus(Object.fromEntries(PROCESSES.map((name) => [name, 'UP'])) as Record<ProcessName, string>);
    } catch (error) {
      await ferry.close();
      throw error;
    }
    return ferry;
  }

  /** Starts one broker process as the command line in docs/operating.md does, and waits until it serves. */
  async startProcess(name: ProcessName): Promise<void> {
    const child = this.#spawn(name, process.execPath, ['--import', 'tsx', MAIN], {
      FERRY_HOST: '127.0.0.1',
      FERRY_PORT: String(this.#ports[name]),
      FERRY_SHARDS: 'a,b',
      FERRY_SHARD: name[0]!,
      FERRY_TRUSTED_PROXIES: '127.0.0.1',
      FERRY_STUN_PORT: '0',
    });
    const output = this.output.get(name)!;
    const started = output.text.length;
    const deadline = Date.now() + 30_000;
    while (!output.text.slice(started).includes('Ferry is running at')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start:\n${output.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ends a process the hard way: no goodbye to anyone, as when a machine dies. */
  async kill(name: ProcessName): Promise<void> {
    const child = this.#children.get(name);
    if (child) await killed(child);
  }

  /** `show stat` of the load balancer: each backend's servers. */
  async stats(): Promise<Map<string, ServerStat>> {
    const csv = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(this.#stats, () => socket.end('show stat\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header!.split(',');
    const at = (row: string[], column: string) => row[columns.indexOf(column)]!;
    const stats = new Map<string, ServerStat>();
    for (const line of rows) {
      const row = line.split(',');
      if (['FRONTEND', 'BACKEND'].includes(at(row, 'svname'))) continue;
      stats.set(`${at(row, 'pxname')}/${at(row, 'svname')}`, {
        current: Number(at(row, 'scur')),
        total: Number(at(row, 'stot')),
        status: at(row, 'status'),
      });
    }
    return stats;
  }

  /** Resolves once HAProxy's checks report each named process as wanted (in the shard backends). */
  async untilStatus(wanted: Partial<Record<ProcessName, string>>, timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const stats = await this.stats().catch(() => null);
      // As the backend that routes to it says (a shard's, or any that has it).
      const seen = (name: string) => stats?.get(`shard_${name[0]}/${name}`)?.status ?? [...(stats ?? [])].find(([key]) => key.endsWith(`/${name}`))?.[1].status;
      const now = Object.entries(wanted).map(([name, status]) => [name, seen(name), status]);
      if (now.every(([, seen, status]) => seen === status)) return;
      if (Date.now() > deadline) {
        throw new Error(`HAProxy never saw ${JSON.stringify(wanted)}: ${JSON.stringify(now)}\n${this.output.get('haproxy')?.text ?? ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#children.values()].map(killed));
  }

  #spawn(name: string, command: string, args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(command, args, { cwd: REPOSITORY, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = this.output.get(name) ?? new Output();
    this.output.set(name, output);
    child.stdout!.on('data', (chunk: Buffer) => output.take(name, chunk));
    child.stderr!.on('data', (chunk: Buffer) => output.take(name, chunk));
    this.#children.set(name, child);
    return child;
  }
}

/** Resolves once `child` is gone, sending it SIGKILL if it is not yet. */
async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A port nothing listens on now, on `host`. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
