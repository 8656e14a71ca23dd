/**
 * An emulated internet for browser tests and the benchmark: home networks behind
 * NATs (cone or symmetric) joined by a "public" bridge that also holds Ferry's server
 * and coturn. See "Emulating NATs (verified on this machine)" in the design notes.
 *
 *   calling namespace ("public internet", root, already private: in-private-network.sh)
 *     bridge <prefix>br 203.0.113.1/24   <- Ferry's server (the caller's) and coturn
 *       |-- <prefix>1w ==veth== wan 203.0.113.11/24  [router <prefix>-r1]  lan 10.0.1.1/24 ==veth== eth0 10.0.1.2 [home <prefix>-h1]
 *       |-- <prefix>2w ==veth== wan 203.0.113.12/24  [router <prefix>-r2]  lan 10.0.2.1/24 ==veth== eth0 10.0.2.2 [home <prefix>-h2]
 *
 * Routers only hold the /24 (no default route): everything they need is on it.
 * Free of vitest, so the benchmark script (a plain Node program) can use it too.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { browserArgs, CHROMIUM } from './browsers.ts';

/** The bridge's address: where the caller's server and coturn listen. */
export const PUBLIC_ADDRESS = '203.0.113.1';

export type NatKind = 'cone' | 'symmetric';

export interface HomeOptions {
  /** 'cone' keeps ports (MASQUERADE), so STUN works; 'symmetric' randomises them (--random-fully), so only a relay works. */
  nat: NatKind;
}

export interface Home {
  /** 1, 2, …: the home's number in this lab. */
  index: number;
  /** The home host's address (10.0.N.2), what its browser sees as its own. */
  address: string;
  /** The router's public address (203.0.113.(10+N)), what the world sees. */
  publicAddress: string;
  /** Network namespace names, for `ip netns exec` (e.g. to run another kind of peer at home). */
  namespace: string;
  routerNamespace: string;
  nat: NatKind;
  /** Runs Chromium inside the home: for launches of other kinds (a profile on disk). */
  executablePath: string;
  /** Debian Chromium inside the home. The caller closes it (close() of the lab does too, if it is still open). */
  launchBrowser(secureOrigin?: string): Promise<Browser>;
  /** Unplugs the home's internet (the router's WAN cable, at the bridge), or plugs it back in. */
  link(up: boolean): Promise<void>;
  /**
   * Gives the home a new public address, as moving from Wi-Fi to mobile data does.
   * MASQUERADE forgets every mapping made with the old address, so connections made
   * through it die and the far end sees the home's packets come from elsewhere.
   */
  renumber(): Promise<void>;
  /** Limits both directions of the home's internet to `rate` (tc syntax, e.g. '20mbit'); null lifts the limit. */
  shape(rate: string | null): Promise<void>;
  /** Removes the home and its router (closing browsers still open in it). Idempotent. */
  close(): Promise<void>;
}

export interface CoturnOptions {
  /** The REST API shared secret (use-auth-secret / static-auth-secret). */
  secret: string;
  /** UDP and TCP listening port; 3479 by default, clear of a STUN responder on 3478. */
  port?: number;
  realm?: string;
  /** The relay port range; small by default (49160–49259). */
  minPort?: number;
  maxPort?: number;
}

export interface Coturn {
  /** TURN URLs for RTCIceServer.urls: UDP first, then TCP. */
  urls: string[];
  /** The same server as a plain STUN server. */
  stunUrl: string;
  /** Sends SIGTERM and waits for the exit (about a second). Idempotent. */
  stop(): Promise<void>;
  /** Everything coturn has printed so far. */
  log(): string;
}

export interface Lab {
  /** Unique per run; prefixes namespace and interface names. */
  prefix: string;
  /** The bridge's name in the calling namespace. */
  bridge: string;
  publicAddress: string;
  home(options: HomeOptions): Promise<Home>;
  startCoturn(options: CoturnOptions): Promise<Coturn>;
  /** Stops coturn, closes browsers still open, removes every namespace, interface and temp file. Idempotent. */
  close(): Promise<void>;
}

/** Synchronous last-resort cleanups, run when the process exits without close(). One listener for all. */
const atExit = new Set<() => void>();
let exitListening = false;
function onProcessExit(cleanup: () => void): () => void {
  if (!exitListening) {
    exitListening = true;
    process.on('exit', () => {
      for (const run of [...atExit].reverse()) run();
    });
  }
  atExit.add(cleanup);
  return () => atExit.delete(cleanup);
}

/** Undo steps, run newest first; each step runs at most once and failures do not stop the rest. */
class Undo {
  private steps: { name: string; run: () => Promise<void>; sync?: () => void }[] = [];

  push(name: string, run: () => Promise<void>, sync?: () => void): void {
    this.steps.push(sync ? { name, run, sync } : { name, run });
  }

  async runAll(): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      await step.run().catch(() => {});
    }
  }

  /** For process exit, when nothing asynchronous runs any more. */
  runAllSync(): void {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        step.sync?.();
      } catch {
        // best effort
      }
    }
  }
}

/**
 * Builds the public side in the calling namespace. The caller must already be in a
 * private namespace (in-private-network.sh) and root: the lab refuses to run where
 * the default route leads anywhere but back into this machine.
 */
export async function createLab(): Promise<Lab> {
  const prefix = uniquePrefix();
  const bridge = `${prefix}br`;
  const undo = new Undo();
  const homes = new Set<Home>();
  let coturn: Coturn | undefined;
  let closed = false;
  let count = 0;

  const forgetExit = onProcessExit(() => undo.runAllSync());

  const close = async () => {
    if (closed) return;
    closed = true;
    // coturn first (with sessions open it can take a second to exit): it should not outlive its network.
    await coturn?.stop().catch(() => {});
    for (const home of [...homes]) await home.close().catch(() => {});
    await undo.runAll();
    forgetExit();
  };

  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
    undo.push('temp dir', () => rm(dir, { recursive: true, force: true }), () => spawnSync('rm', ['-rf', dir]));

    await ensureSafeDefaultRoute(prefix, undo);

    await ip('link', 'add', 'name', bridge, 'type', 'bridge');
    undo.push('bridge', () => ip('link', 'del', bridge), () => spawnSync('ip', ['link', 'del', bridge]));
    await ip('addr', 'add', `${PUBLIC_ADDRESS}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');

    const lab: Lab = {
      prefix,
      bridge,
      publicAddress: PUBLIC_ADDRESS,
      async home(options) {
        if (closed) throw new Error('the lab is closed');
        const index = ++count;
        if (index > 240) throw new Error('too many homes in one lab');
        const home = await createHome({ prefix, bridge, dir, index, nat: options.nat, onClose: (h) => homes.delete(h) });
        if (closed) {
          // close() ran while this home was being built.
          await home.close();
          throw new Error('the lab is closed');
        }
        homes.add(home);
        return home;
      },
      async startCoturn(options) {
        if (closed) throw new Error('the lab is closed');
        if (coturn) throw new Error('coturn is already running in this lab');
        const started = await startCoturnProcess(dir, options);
        const handle: Coturn = {
          urls: started.urls,
          stunUrl: started.stunUrl,
          log: started.log,
          stop: async () => {
            await started.stop();
            if (coturn === handle) coturn = undefined;
          },
        };
        coturn = handle;
        undo.push('coturn', () => started.stop(), () => started.killSync());
        return handle;
      },
      close,
    };
    return lab;
  } catch (error) {
    await close();
    throw error;
  }
}

function uniquePrefix(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const prefix = `fl${Array.from(randomBytes(4), (b) => letters[b % letters.length]).join('')}`;
    if (!existsSync(`/run/netns/${prefix}-r1`) && !existsSync(`/run/netns/${prefix}-h1`)) return prefix;
  }
}

/**
 * coturn needs a default route: without one its send towards a peer's private host
 * candidate fails with "Network is unreachable" and it drops the whole allocation.
 * In in-private-network.sh's namespace the default route leads to v1, back into the
 * namespace itself, where unforwarded packets die: keep it. Without one, add a sink
 * (a veth pair and a permanent fake neighbour; there is no dummy module here). A
 * default route to anywhere else means we are on a real network: refuse.
 */
async function ensureSafeDefaultRoute(prefix: string, undo: Undo): Promise<void> {
  const routes = JSON.parse(await ipOut('-j', '-4', 'route', 'show', 'default')) as { gateway?: string; dev?: string }[];
  const local = new Set(
    (JSON.parse(await ipOut('-j', '-4', 'addr', 'show')) as { addr_info?: { local?: string }[] }[]).flatMap((link) =>
      (link.addr_info ?? []).map((info) => info.local),
    ),
  );
  if (routes.length) {
    for (const route of routes) {
      if (!route.gateway || !local.has(route.gateway)) {
        throw new Error(
          `network-lab: the default route (${JSON.stringify(route)}) leaves this namespace; run inside tests/e2e/in-private-network.sh`,
        );
      }
    }
    return;
  }
  const sink = `${prefix}s0`;
  await ip('link', 'add', sink, 'type', 'veth', 'peer', 'name', `${prefix}s1`);
  undo.push('sink', () => ip('link', 'del', sink), () => spawnSync('ip', ['link', 'del', sink]));
  await ip('addr', 'add', '198.18.0.1/30', 'dev', sink);
  await ip('link', 'set', sink, 'up');
  await ip('link', 'set', `${prefix}s1`, 'up');
  await ip('neigh', 'add', '198.18.0.2', 'lladdr', '02:00:00:00:00:99', 'nud', 'permanent', 'dev', sink);
  await ip('route', 'add', 'default', 'via', '198.18.0.2', 'dev', sink);
}

async function createHome(options: {
  prefix: string;
  bridge: string;
  dir: string;
  index: number;
  nat: NatKind;
  onClose: (home: Home) => void;
}): Promise<Home> {
  const { prefix, bridge, dir, index, nat } = options;
  const router = `${prefix}-r${index}`;
  const namespace = `${prefix}-h${index}`;
  const port = `${prefix}${index}w`; // the WAN cable's bridge-side end, in the calling namespace
  const address = `10.0.${index}.2`;
  let publicAddress = `203.0.113.${10 + index}`;
  /** Where renumber() moves the home, and back: two addresses per home. */
  const addresses = [publicAddress, `203.0.113.${110 + index}`];
  const undo = new Undo();
  const browsers = new Set<Browser>();
  let closed = false;

  const forgetExit = onProcessExit(() => undo.runAllSync());

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const browser of [...browsers]) await browser.close().catch(() => {});
    await undo.runAll();
    forgetExit();
    options.onClose(home);
  };

  const inRouter = (command: string, ...args: string[]) => run('ip', ['netns', 'exec', router, command, ...args]);
  const iptables = (...args: string[]) => inRouter('iptables', '-w', ...args);

  const home: Home = {
    index,
    address,
    get publicAddress() {
      return publicAddress;
    },
    namespace,
    routerNamespace: router,
    nat,
    get executablePath() {
      return wrapper;
    },
    async launchBrowser(secureOrigin) {
      if (closed) throw new Error('the home is closed');
      const browser = await chromium.launch({ executablePath: wrapper, args: browserArgs(secureOrigin), headless: true });
      browsers.add(browser);
      browser.on('disconnected', () => browsers.delete(browser));
      return browser;
    },
    link: (up) => ip('link', 'set', port, up ? 'up' : 'down'),
    async renumber() {
      const next = addresses.find((candidate) => candidate !== publicAddress)!;
      // Old one first: deleting a primary address also deletes the secondaries in its subnet.
      await ip('-n', router, 'addr', 'del', `${publicAddress}/24`, 'dev', 'wan');
      await ip('-n', router, 'addr', 'add', `${next}/24`, 'dev', 'wan');
      publicAddress = next;
    },
    // A token bucket is the shaper this kernel has (netem is not built in): on the
    // router's WAN for uploads, on the bridge side for downloads.
    async shape(rate) {
      if (rate) {
        const tbf = ['root', 'tbf', 'rate', rate, 'burst', '64kb', 'latency', '50ms'];
        await run('tc', ['-n', router, 'qdisc', 'replace', 'dev', 'wan', ...tbf]);
        await run('tc', ['qdisc', 'replace', 'dev', port, ...tbf]);
      } else {
        await run('tc', ['-n', router, 'qdisc', 'del', 'dev', 'wan', 'root']).catch(() => {});
        await run('tc', ['qdisc', 'del', 'dev', port, 'root']).catch(() => {});
      }
    },
    close,
  };

  const wrapper = path.join(dir, `chromium-${namespace}.sh`);
  try {
    // Namespaces. Deleting one kills nothing running in it: close the browsers (and,
    // as a last resort, whatever else we started in there) first.
    for (const ns of [router, namespace]) {
      await ip('netns', 'add', ns);
      undo.push(
        `netns ${ns}`,
        async () => {
          await killIn(ns);
          await ip('netns', 'del', ns);
        },
        () => {
          killInSync(ns);
          spawnSync('ip', ['netns', 'del', ns]);
        },
      );
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }

    // WAN: a veth from the bridge into the router. Deleting our end deletes both.
    await ip('link', 'add', port, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router);
    undo.push(`link ${port}`, () => ip('link', 'del', port), () => spawnSync('ip', ['link', 'del', port]));
    await ip('link', 'set', port, 'master', bridge);
    await ip('link', 'set', port, 'up');
    await ip('-n', router, 'addr', 'add', `${publicAddress}/24`, 'dev', 'wan');
    await ip('-n', router, 'link', 'set', 'wan', 'up');

    // LAN: a veth from the router into the home.
    await ip('-n', router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
    await ip('-n', router, 'addr', 'add', `10.0.${index}.1/24`, 'dev', 'lan');
    await ip('-n', router, 'link', 'set', 'lan', 'up');
    await ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
    await ip('-n', namespace, 'route', 'add', 'default', 'via', `10.0.${index}.1`);

    // The router: forwards, masquerades, and drops what nobody inside asked for.
    // Without the drop, the other peer's first check creates a conntrack entry that
    // makes MASQUERADE remap the port, and hole punching fails every time.
    await inRouter('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    await iptables('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', ...(nat === 'symmetric' ? ['--random-fully'] : []));
    for (const chain of ['FORWARD', 'INPUT']) {
      await iptables('-A', chain, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      await iptables('-A', chain, '-i', 'lan', '-j', 'ACCEPT');
      if (chain === 'INPUT') await iptables('-A', chain, '-i', 'lo', '-j', 'ACCEPT');
      await iptables('-A', chain, '-i', 'wan', '-j', 'DROP');
    }

    // playwright-core drives the browser over a pipe, so it does not mind where the
    // browser's network is.
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace} "${CHROMIUM}" "$@"\n`, { mode: 0o755 });
    undo.push(`wrapper ${wrapper}`, () => rm(wrapper, { force: true }), () => spawnSync('rm', ['-f', wrapper]));
  } catch (error) {
    await close();
    throw error;
  }
  return home;
}

/** Ends whatever still runs in one of our namespaces (a browser left open): only our own processes live there. */
async function killIn(ns: string): Promise<void> {
  const pids = (await runOut('ip', ['netns', 'pids', ns]).catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function killInSync(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean).map(Number) ?? [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Debian's coturn (4.6.1) in the calling namespace, on the bridge's address only.
 * It answers plain STUN too, so one process is both STUN and TURN server.
 */
async function startCoturnProcess(
  dir: string,
  options: CoturnOptions,
): Promise<{ urls: string[]; stunUrl: string; stop(): Promise<void>; killSync(): void; log(): string }> {
  const port = options.port ?? 3479;
  const minPort = options.minPort ?? 49160;
  const maxPort = options.maxPort ?? minPort + 99;
  const config = path.join(dir, `turnserver-${port}.conf`);
  await writeFile(
    config,
    [
      // Without these it listens and relays on every address it finds.
      `listening-ip=${PUBLIC_ADDRESS}`,
      `relay-ip=${PUBLIC_ADDRESS}`,
      `listening-port=${port}`,
      `min-port=${minPort}`,
      `max-port=${maxPort}`,
      `realm=${options.realm ?? 'ferry.test'}`,
      'use-auth-secret',
      `static-auth-secret=${options.secret}`,
      'fingerprint',
      'no-tls',
      'no-dtls',
      'no-cli',
      `userdb=${path.join(dir, `turndb-${port}.sqlite`)}`,
      `pidfile=${path.join(dir, `turnserver-${port}.pid`)}`,
      'log-file=stdout',
      'simple-log',
      // A production server denies peers on private and special ranges
      // (denied-peer-ip=10.0.0.0-10.255.255.255 etc.), so that clients cannot use it to
      // reach its own network. Here every peer lives on such ranges (10.0.x.x homes,
      // 203.0.113.x "public"), so we deny nothing. coturn 4.6.1 itself denies only
      // loopback peers by default (allow-loopback-peers lifts that), which we do not need.
      '',
    ].join('\n'),
  );

  let output = '';
  const child: ChildProcess = spawn('turnserver', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 4_000_000) output = output.slice(-2_000_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.once('error', (error) => {
    output += `\n[spawn error] ${error.message}\n`;
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 5000, 'timeout').unref());
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
    })());
  const killSync = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  // Ready when it answers a STUN binding request on its UDP port.
  const deadline = Date.now() + 15_000;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`coturn exited before it was ready:\n${output}`);
    if (await stunAnswers(PUBLIC_ADDRESS, port, 300)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not answer STUN on ${PUBLIC_ADDRESS}:${port} in 15 s:\n${output}`);
    }
  }

  return {
    urls: [`turn:${PUBLIC_ADDRESS}:${port}?transport=udp`, `turn:${PUBLIC_ADDRESS}:${port}?transport=tcp`],
    stunUrl: `stun:${PUBLIC_ADDRESS}:${port}`,
    stop,
    killSync,
    log: () => output,
  };
}

/** Sends one STUN binding request and waits up to `timeoutMs` for its success response. */
function stunAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const transaction = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request
    request.writeUInt16BE(0, 2); // no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    transaction.copy(request, 8);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('message', (message) => {
      if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transaction)) finish(true);
    });
    // A failed send leaves the timer to answer.
    socket.send(request, port, host, () => {});
  });
}

function ip(...args: string[]): Promise<void> {
  return run('ip', args);
}

function ipOut(...args: string[]): Promise<string> {
  return runOut('ip', args);
}

async function run(command: string, args: string[]): Promise<void> {
  await runOut(command, args);
}

function runOut(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
}
