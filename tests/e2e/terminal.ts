/**
 * The `ferry` command run as a person runs it, from its bin launcher, inside the
 * private network like everything else here: what it prints, and how it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../app/cli/bin/ferry.js', import.meta.url));

/** A share link as `ferry send` prints it. */
const LINK = /https?:\/\/\S+\/#\/r\/\S+/;

export interface TerminalOptions {
  cwd?: string;
  env?: Record<string, string>;
  /**
   * Run at a terminal (a pseudo-terminal from util-linux `script`), where ferry
   * redraws its status line in place; `output` then holds the bytes as the terminal
   * got them, both streams together.
   */
  tty?: boolean;
  /** What the command reads on standard input, which then ends (none: no input at all). */
  input?: string;
}

export class Terminal {
  /** Everything written to stdout and stderr so far. */
  output = '';
  /** What was written to stdout alone (at a terminal: everything). */
  stdout = '';
  /** What was written to stderr alone (at a terminal: nothing). */
  stderr = '';
  /** The exit code, or the signal's name when one ended it; by then all the output is in. */
  readonly exited: Promise<number | string>;
  readonly #child: ChildProcess;
  /** Called after each chunk of output, and once all of it is in. */
  readonly #watchers = new Set<() => void>();
  /** The process exited and its output is all in. */
  #ended = false;

  constructor(argv: string[], options: TerminalOptions = {}) {
    const command = [process.execPath, LAUNCHER, ...argv];
    const [file, ...args] = options.tty ? ['script', '--quiet', '--return', '--command', command.map(shellQuoted).join(' '), '/dev/null'] : command;
    this.#child = spawn(file!, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) this.#child.stdin!.end(options.input);
    for (const stream of ['stdout', 'stderr'] as const) {
      // Decoded as a stream: a character split between two chunks stays whole.
      this.#child[stream]!.setEncoding('utf8').on('data', (text: string) => {
        this.output += text;
        this[stream] += text;
        if (process.env.FERRY_DEBUG) process.stderr.write(text);
        for (const watcher of this.#watchers) watcher();
      });
    }
    // 'close', not 'exit': output still in the pipes when the process exits comes before it.
    this.exited = new Promise((resolve) =>
      this.#child.on('close', (code, signal) => {
        this.#ended = true;
        for (const watcher of this.#watchers) watcher();
        resolve(code ?? signal ?? -1);
      }),
    );
  }

  /** Resolves with the first match of `pattern` in the output, as soon as it is printed. */
  until(pattern: RegExp, timeout = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#watchers.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        const match = this.output.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (this.#ended) {
          done();
          reject(new Error(`ferry never printed ${pattern} before it exited; it printed:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`ferry did not print ${pattern} within ${timeout} ms; it printed:\n${this.output}`));
      }, timeout);
      this.#watchers.add(check);
      check();
    });
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

/** `text` as one word for the shell `script` runs the command with. */
function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
