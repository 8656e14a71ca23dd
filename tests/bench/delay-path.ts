/**
 * Two network namespaces joined only through delay-forwarder.c, which holds every
 * packet for a one-way delay and drops a share at random: a path with round-trip
 * time and loss, which this kernel cannot make with netem. For `npm run bench:rtt`.
 *
 *   calling namespace (already private: in-private-network.sh)
 *     delay-forwarder ── <prefix>a ── [namespace <prefix>-a] 10.90.0.1/24, default route via the TUN
 *                     └─ <prefix>b ── [namespace <prefix>-b] 10.90.0.2/24, default route via the TUN
 *
 * Each side has no other link, so whatever its browser sends to the other crosses
 * the forwarder (the default route is what makes Chromium offer the address as an
 * ICE candidate). The forwarder is compiled from source on each run, into `work`.
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { browserArgs, CHROMIUM } from '../e2e/browsers.ts';

const SOURCE = fileURLToPath(new URL('./delay-forwarder.c', import.meta.url));
const COMPILER = process.env.CC ?? '/usr/bin/cc';

/** One end of the path. */
export interface PathSide {
  namespace: string;
  /** This side's address, the one its browser offers. */
  address: string;
  /** Chromium inside this side's namespace, treating `secureOrigin` (if any) as secure. The caller closes it. */
  launchBrowser(secureOrigin?: string): Promise<Browser>;
  /** The command line that runs `command` inside this side's namespace. */
  inside(command: string[]): string[];
}

export interface DelayPath {
  a: PathSide;
  b: PathSide;
  /** Holds each packet `rttMs / 2` in each direction and drops `lossPercent` of them (in each direction). */
  set(rttMs: number, lossPercent: number): Promise<void>;
  /** The round-trip time across the path now, in ms: the median of a few UDP echoes from a to b. */
  probeRtt(): Promise<number>;
  /** Stops the forwarder and removes both namespaces; returns the forwarder's last report. Idempotent. */
  close(): Promise<string>;
}

/** Builds the path in the calling namespace, which must be private (run under in-private-network.sh). */
export async function openDelayPath(work: string): Promise<DelayPath> {
  if (!process.env.FERRY_TEST_HOST) throw new Error('delay-path: run inside tests/e2e/in-private-network.sh');
  const prefix = `fd${randomBytes(3).toString('hex')}`;
  const binary = path.join(work, 'delay-forwarder');
  await run(COMPILER, ['-O2', '-Wall', '-o', binary, SOURCE]);

  const namespaces = [`${prefix}-a`, `${prefix}-b`];
  const removeNamespaces = () => namespaces.forEach((namespace) => spawnSync('ip', ['netns', 'del', namespace]));
  process.on('exit', removeNamespaces);
  let forwarder: Forwarder | undefined;
  let closed: Promise<string> | undefined;
  const close = () =>
    (closed ??= (async () => {
      const report = (await forwarder?.stop()) ?? '';
      removeNamespaces();
      process.off('exit', removeNamespaces);
      return report;
    })());

  try {
    for (const namespace of namespaces) await run('ip', ['netns', 'add', namespace]);
    const devices = [`${prefix}a`, `${prefix}b`];
    forwarder = await startForwarder(binary, devices);
    const sides = await Promise.all(
      ['10.90.0.1', '10.90.0.2'].map(async (address, i): Promise<PathSide> => {
        const [namespace, device] = [namespaces[i]!, devices[i]!];
        const inSide = (...args: string[]) => run('ip', ['-n', namespace, ...args]);
        await run('ip', ['link', 'set', device, 'netns', namespace]);
        await inSide('link', 'set', 'lo', 'up');
        await inSide('addr', 'add', `${address}/24`, 'dev', device);
        await inSide('link', 'set', device, 'up');
        await inSide('route', 'add', 'default', 'dev', device);
        const wrapper = path.join(work, `chromium-${namespace}.sh`);
        await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace} "${CHROMIUM}" "$@"\n`, { mode: 0o755 });
        return {
          namespace,
          address,
          launchBrowser: (secureOrigin) => chromium.launch({ executablePath: wrapper, args: browserArgs(secureOrigin), headless: true }),
          inside: (command) => ['ip', 'netns', 'exec', namespace, ...command],
        };
      }),
    );
    const [a, b] = sides as [PathSide, PathSide];
    return { a, b, set: (rttMs, lossPercent) => forwarder!.set(rttMs / 2, lossPercent), probeRtt: () => probeRtt(a, b), close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface Forwarder {
  set(delayMs: number, lossPercent: number): Promise<void>;
  /** Ends its input, which makes it print its report and exit. */
  stop(): Promise<string>;
}

async function startForwarder(binary: string, devices: string[]): Promise<Forwarder> {
  const child: ChildProcessWithoutNullStreams = spawn(binary, devices);
  let output = '';
  let waiting: { text: string; resolve: () => void } | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`delay-forwarder: ${chunk}`));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (waiting && output.includes(waiting.text)) waiting.resolve();
  });
  /** Waits for the forwarder to print `text` (output is cleared after each wait). */
  const printed = (text: string) =>
    Promise.race([
      new Promise<void>((resolve) => {
        waiting = { text, resolve };
        if (output.includes(text)) resolve();
      }),
      exited.then(() => Promise.reject(new Error(`delay-forwarder exited: ${output}`))),
    ]).finally(() => {
      waiting = null;
      output = output.slice(output.indexOf(text) + text.length);
    });
  await printed('ready\n');
  return {
    async set(delayMs, lossPercent) {
      child.stdin.write(`${delayMs} ${lossPercent}\n`);
      await printed(`set ${delayMs.toFixed(3)} ms ${lossPercent.toFixed(3)}%\n`);
    },
    async stop() {
      child.stdin.end();
      await exited;
      return output.trim();
    },
  };
}

const ECHO_PORT = 7;
const ECHOES = 9;
/** Answers every UDP datagram on b's address (a Node process inside b's namespace). */
const ECHO_SERVER = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, from) => s.send(m, from.port, from.address));
s.bind(${ECHO_PORT}, process.argv[1], () => console.log('listening'));`;
/** Sends ECHOES datagrams one after another to b and prints the median round trip in ms; a lost one is sent again. */
const ECHO_CLIENT = `const s = require('node:dgram').createSocket('udp4');
const times = [];
let sentAt = 0;
const send = () => { sentAt = performance.now(); s.send('ping', ${ECHO_PORT}, process.argv[1]); };
setInterval(send, 1000);
s.on('message', () => {
  times.push(performance.now() - sentAt);
  if (times.length === ${ECHOES}) { times.sort((x, y) => x - y); console.log(times[${ECHOES} >> 1].toFixed(2)); process.exit(0); }
  send();
});
send();`;

async function probeRtt(a: PathSide, b: PathSide): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', b.namespace, process.execPath, '-e', ECHO_SERVER, b.address]);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`the UDP echo in ${b.namespace} exited (${code})`)));
    });
    const median = await new Promise<string>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', a.namespace, process.execPath, '-e', ECHO_CLIENT, b.address], { timeout: 30_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    return Number(median.trim());
  } finally {
    server.kill();
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(command, args, (error, _stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : resolve())),
  );
}
