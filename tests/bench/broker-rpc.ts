/**
 * Calls from `npm run bench:broker` into the processes it forks (the broker, the
 * client workers), over Node's IPC channel. A child registers its handlers with
 * `serve`; the parent gets a typed `call` from `startChild`. Every call has a
 * deadline, and a child that exits fails every call still waiting on it.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** Operation name → [its argument, its result]: the contract between the two sides. */
export type Calls = Record<string, [unknown, unknown]>;

interface Request {
  seq: number;
  op: string;
  args: unknown;
}
type Reply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; error: string };
/** Sent once, when the child's handlers are in place: messages before that would be lost. */
const READY = 'ready';

export type Call<C extends Calls> = <K extends keyof C & string>(op: K, args: C[K][0], timeoutMs: number) => Promise<C[K][1]>;

export interface Child<C extends Calls> {
  process: ChildProcess;
  call: Call<C>;
  /** Resolves once the child serves; rejects if it exits first. */
  ready: Promise<void>;
}

/** Forks `script` with `execArgv`; call it once it is ready. */
export function startChild<C extends Calls>(script: string, execArgv: string[], env: NodeJS.ProcessEnv = process.env): Child<C> {
  const child = fork(script, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let seq = 0;
  let exited: Error | undefined;
  child.on('message', (message: Reply | typeof READY) => {
    if (message === READY) return;
    const call = waiting.get(message.seq);
    waiting.delete(message.seq);
    if (message.ok) call?.resolve(message.value);
    else call?.reject(new Error(message.error));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message) => message === READY && resolve());
    child.once('exit', (code, signal) => {
      exited = new Error(`${script} exited (${signal ?? code})`);
      reject(exited);
      for (const call of waiting.values()) call.reject(exited);
      waiting.clear();
    });
  });
  const call: Call<C> = (op, args, timeoutMs) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(then: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        then(value);
      };
      waiting.set(id, { resolve: settle(resolve as (value: unknown) => void), reject: settle(reject) });
      child.send({ seq: id, op, args } satisfies Request);
    });
  return { process: child, call, ready };
}

/** Answers the parent's calls with `handlers`, in the child. */
export function serve<C extends Calls>(handlers: { [K in keyof C]: (args: C[K][0]) => C[K][1] | Promise<C[K][1]> }): void {
  process.on('message', async ({ seq, op, args }: Request) => {
    let reply: Reply;
    try {
      const handler = handlers[op] as ((args: unknown) => unknown) | undefined;
      if (!handler) throw new Error(`no operation ${op}`);
      reply = { seq, ok: true, value: await handler(args) };
    } catch (error) {
      reply = { seq, ok: false, error: (error as Error).stack ?? String(error) };
    }
    process.send?.(reply);
  });
  // The bench is gone (finished, crashed, killed): an orphan would hold its sockets.
  process.on('disconnect', () => process.exit(0));
  process.send?.(READY);
}
