/**
 * Ferry's own server (signal-server/main.ts, as `npm run serve` starts it) in a
 * child process, run through a command prefix such as `ip netns exec NS`: a Node
 * process cannot move its own sockets into another network namespace, so a server
 * that must live on one side of a path (delay-path.ts) runs as a process there.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../signal-server/main.ts', import.meta.url));

export interface ChildServer {
  /** Its origin, e.g. http://10.90.0.1:41234 (no trailing slash). */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts the server on `host` (any free port) serving `staticDir`, with `prefix` put
 * before the Node command line. Its own STUN responder is off: both sides of the
 * path are on one subnet, so host candidates connect.
 */
export async function startChildServer(prefix: string[], host: string, staticDir: string): Promise<ChildServer> {
  const [command, ...args] = [...prefix, process.execPath, '--import', 'tsx', MAIN];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { ...process.env, FERRY_HOST: host, FERRY_PORT: '0', FERRY_STUN_PORT: '0', FERRY_STATIC_DIR: staticDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A bench interrupted (rtt.ts exits on SIGINT) must not leave the server running.
  const stop = () => child.kill('SIGTERM');
  process.on('exit', stop);
  void exited.then(() => process.off('exit', stop));
  const origin = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (data: Buffer) => {
      output += data.toString();
      const url = /Ferry is running at (\S+)/.exec(output)?.[1];
      if (url) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // its later lines are not read; keep the pipe from filling
        resolve(url.replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', onData);
    void exited.then(() => reject(new Error(`the Ferry server exited before it was running: ${output}`)));
  });
  return {
    origin,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
