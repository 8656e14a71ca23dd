/**
 * The `ferry` command run as a person runs it, from its bin launcher, inside the
 * private network like everything else here: what it prints, and how it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../app/cli/bin/ferry.js', import.meta.url));

/** A share link as `ferry send` prints it. */
const LINK = /https?:\/\/\S+\/#\/r\/\S+/;

export class Terminal {
  /** Everything written to stdout and stderr so far. */
  output = '';
  /** The exit code, or the signal's name when one ended it. */
  readonly exited: Promise<number | string>;
  readonly #child: ChildProcess;

  /** `input`: what the command reads on standard input, which then ends (none: no input at all). */
  constructor(argv: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
    this.#child = spawn(process.execPath, [LAUNCHER, ...argv], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) this.#child.stdin!.end(options.input);
    const take = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      if (process.env.FERRY_DEBUG) process.stderr.write(chunk);
    };
    this.#child.stdout!.on('data', take);
    this.#child.stderr!.on('data', take);
    this.exited = new Promise((resolve) => this.#child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  /** Resolves with the first match of `pattern` in the output, waiting for it to be printed. */
  async until(pattern: RegExp, timeout = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeout;
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (ended || Date.now() > deadline) {
        throw new Error(`ferry never printed ${pattern}${ended ? ' before it exited' : ''}; it printed:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The link a `ferry send` prints once it is sharing. */
  async link(): Promise<string> {
    return (await this.until(LINK))[0];
  }

  /** Ends like a person would (Ctrl-C is SIGINT) or like a crash (SIGKILL); resolves with how it ended. */
  stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | string> {
    this.#child.kill(signal);
    return this.exited;
  }
}
