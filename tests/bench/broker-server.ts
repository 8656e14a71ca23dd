/**
 * The broker under test, in a process of its own (forked by broker.ts with
 * --expose-gc and a set heap): Ferry's whole server as `npm start` runs it,
 * configured from the environment by loadConfig, answering the bench's questions
 * about its memory, CPU and event loop.
 */
import v8 from 'node:v8';
import { loadConfig } from '../../signal-server/config.ts';
import { startServer } from '../../signal-server/server.ts';
import type { ServerCalls } from './broker-calls.ts';
import { monitorLoop } from './broker-loop.ts';
import { serve } from './broker-rpc.ts';

/** Operational errors printed at most, so a flood of them cannot drown the bench's output. */
const LOGGED = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('broker-server.ts needs --expose-gc');

const loop = monitorLoop();
let logged = 0;
const running = startServer(loadConfig([], process.env), {
  log: (message) => {
    if (logged++ < LOGGED) console.error(`broker process: ${message}`);
  },
});

serve<ServerCalls>({
  start: async () => ({ url: (await running).url, heapLimit: v8.getHeapStatistics().heap_size_limit }),
  sample: async ({ gc: collect, resetLoop }) => {
    const server = await running;
    if (collect) gc();
    const { rss, heapUsed, external } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    const sample = {
      rss,
      heapUsed,
      external,
      cpuMs: (user + system) / 1000,
      at: performance.now(),
      loop: loop.read(),
      broker: server.brokerStats(),
    };
    if (resetLoop) loop.reset();
    return sample;
  },
});
