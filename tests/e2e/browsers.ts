/**
 * Debian's Chromium, launched by playwright-core the ways the browser tests and the
 * benchmark need: plain, with an on-disk profile, or in a network namespace of its
 * own behind a veth pair that can be cut or narrowed. Free of vitest, so the
 * benchmark script (a plain Node program) shares it with the tests.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Headless Chromium cannot resolve the .local mDNS names it would hide host IPs behind.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A separate browser process, as a separate device would be. With `secureOrigin`
 * the browser treats that http origin as secure, as it would an https one: OPFS,
 * the StorageManager and the save dialog exist only in secure contexts.
 */
export function launchBrowser(secureOrigin?: string): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: browserArgs(secureOrigin), headless: true });
}

/**
 * A browser with a profile on disk, as people's browsers have. Playwright's other
 * contexts are off the record: Chromium never offers to install an app there, and
 * keeps their OPFS in memory.
 */
export function launchProfileBrowser(profileDir: string, secureOrigin?: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: browserArgs(secureOrigin), headless: true });
}

/** Chromium's flags for tests, treating `secureOrigin` (if any) as secure. */
export function browserArgs(secureOrigin: string | undefined): string[] {
  return secureOrigin ? [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${secureOrigin}`] : CHROMIUM_ARGS;
}

/** The isolated browser's only network link, seen from our side (va). */
export interface Link {
  /** Takes the link down, or up again. */
  link(up: boolean): Promise<void>;
  /** Limits what we send across the link to `rate` (tc syntax, e.g. '100mbit'); null lifts the limit. */
  shape(rate: string | null): Promise<void>;
}

export interface IsolatedBrowser extends Link {
  browser: Browser;
}

/**
 * A browser in a network namespace of its own, joined to ours by a veth pair
 * (va here, 10.78.0.1; vb there, 10.78.0.2, default route via va), so that taking
 * va down cuts it off as leaving Wi-Fi would. Inside one namespace everything is
 * local delivery and can be neither cut nor shaped. One at a time: the pair's names
 * are fixed.
 */
export async function launchIsolatedBrowser(dir: string, secureOrigin?: string): Promise<IsolatedBrowser> {
  const { launched: browser, ...link } = await isolated(dir, (executablePath) =>
    chromium.launch({ executablePath, args: browserArgs(secureOrigin), headless: true }),
  );
  browser.on('disconnected', () => void ip('link', 'del', 'va').catch(() => {}));
  return { browser, ...link };
}

/** The same, with an on-disk profile (see launchProfileBrowser). */
export async function launchIsolatedProfileBrowser(
  dir: string,
  profileDir: string,
  secureOrigin?: string,
): Promise<Link & { context: BrowserContext }> {
  const { launched: context, ...link } = await isolated(dir, (executablePath) =>
    chromium.launchPersistentContext(profileDir, { executablePath, args: browserArgs(secureOrigin), headless: true }),
  );
  context.on('close', () => void ip('link', 'del', 'va').catch(() => {}));
  return { context, ...link };
}

/**
 * Launches through a wrapper that moves Chromium into a new network namespace and
 * waits there for vb, which we then create from our side. Playwright drives the
 * browser over a pipe, so it does not mind where the browser's network is.
 */
async function isolated<T extends { close(): Promise<void> }>(dir: string, launch: (executablePath: string) => Promise<T>): Promise<Link & { launched: T }> {
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const pidFile = path.join(dir, `netns-${stamp}.pid`);
  const wrapper = path.join(dir, `chromium-isolated-${stamp}.sh`);
  await writeFile(
    wrapper,
    `#!/bin/sh
exec unshare --net sh -c '
  echo $$ > "${pidFile}"
  i=0
  until ip link show vb >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done
  ip link set lo up && ip addr add 10.78.0.2/24 dev vb && ip link set vb up && ip route add default via 10.78.0.1
  exec "${CHROMIUM}" "$@"' sh "$@"
`,
    { mode: 0o755 },
  );
  const launching = launch(wrapper);
  try {
    let pid = '';
    for (let i = 0; i < 200 && !pid; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pid = await readFile(pidFile, 'utf8').then((text) => text.trim(), () => '');
    }
    if (!pid) throw new Error('the isolated browser did not start');
    await ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', pid);
    await ip('addr', 'add', '10.78.0.1/24', 'dev', 'va');
    await ip('link', 'set', 'va', 'up');
  } catch (error) {
    // Without its link the wrapper gives up; do not leave the launch dangling.
    await launching.then(
      (launched) => launched.close(),
      () => {},
    );
    throw error;
  }
  return {
    launched: await launching,
    link: (up) => ip('link', 'set', 'va', up ? 'up' : 'down'),
    // A token bucket is the shaper this kernel has (netem is not built in). The
    // burst and latency are what a home router's queue would roughly give.
    shape: (rate) =>
      rate
        ? tc('qdisc', 'replace', 'dev', 'va', 'root', 'tbf', 'rate', rate, 'burst', '64kb', 'latency', '50ms')
        : tc('qdisc', 'del', 'dev', 'va', 'root').catch(() => {}),
  };
}

function ip(...args: string[]): Promise<void> {
  return run('ip', args);
}

function tc(...args: string[]): Promise<void> {
  return run('tc', args);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(command, args, (error, _stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : resolve())),
  );
}
