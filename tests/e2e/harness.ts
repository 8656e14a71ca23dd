/**
 * End-to-end harness: the real signal server, real Debian Chromium driven by
 * playwright-core, real files on disk. Runs only inside the private network
 * namespace (tests/e2e/in-private-network.sh), so no packet leaves the machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startServer, type RunningServer } from '../../signal-server/server.ts';

const HOST = process.env.FERRY_TEST_HOST;
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

export const MiB = 1024 * 1024;

export async function startFerry(): Promise<RunningServer> {
  if (!HOST) throw new Error('end-to-end tests run inside a private network: use `npm run test:e2e`');
  return startServer({ host: HOST, port: 0, iceServers: [], staticDir: DIST }, { log: (m) => console.error(m) });
}

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

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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
 * contexts are off the record, and Chromium never offers to install an app there.
 */
export function launchProfileBrowser(profileDir: string, secureOrigin?: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: browserArgs(secureOrigin), headless: true });
}

function browserArgs(secureOrigin: string | undefined): string[] {
  return secureOrigin ? [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${secureOrigin}`] : CHROMIUM_ARGS;
}

export interface IsolatedBrowser {
  browser: Browser;
  /** Takes the browser's only network link down, or up again. */
  link(up: boolean): Promise<void>;
}

/**
 * A browser in a network namespace of its own, joined to ours by a veth pair
 * (va here, 10.78.0.1; vb there, 10.78.0.2, default route via va), so that taking
 * va down cuts it off as leaving Wi-Fi would. Inside one namespace everything is
 * local delivery and cannot be cut. Playwright drives the browser over a pipe, so it
 * does not mind where the browser's network is.
 */
export async function launchIsolatedBrowser(dir: string, secureOrigin?: string): Promise<IsolatedBrowser> {
  const pidFile = path.join(dir, `netns-${Date.now()}.pid`);
  const wrapper = path.join(dir, `chromium-isolated-${Date.now()}.sh`);
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
  const launching = chromium.launch({ executablePath: wrapper, args: browserArgs(secureOrigin), headless: true });
  let pid = '';
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    pid = await readFile(pidFile, 'utf8').then((text) => text.trim(), () => '');
  }
  if (!pid) throw new Error('the isolated browser did not start');
  await ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', pid);
  await ip('addr', 'add', '10.78.0.1/24', 'dev', 'va');
  await ip('link', 'set', 'va', 'up');
  const browser = await launching;
  browser.on('disconnected', () => void ip('link', 'del', 'va').catch(() => {}));
  return {
    browser,
    link: (up) => ip('link', 'set', 'va', up ? 'up' : 'down'),
  };
}

function ip(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('ip', args, (error, _stdout, stderr) => (error ? reject(new Error(`ip ${args.join(' ')}: ${stderr}`)) : resolve())),
  );
}

/** Uncaught exceptions and console errors of every page opened through here. */
export const pageErrors: string[] = [];

/** A page in a context of its own; `options` can emulate a device (see playwright-core's `devices`). */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...options, acceptDownloads: true });
  // The save path under test is the download one (what phones and Firefox get).
  await context.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    delete (window as { showDirectoryPicker?: unknown }).showDirectoryPicker;
  });
  await context.addInitScript(instrumentPage);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  return { context, page };
}

/**
 * A phone, as far as the page can tell: a Pixel-class Android phone in Chrome, held
 * upright, 360 CSS px wide (the narrowest common width), speaking `locale`.
 */
export function phone(locale = 'en-US'): BrowserContextOptions {
  return {
    viewport: { width: 360, height: 640 },
    screen: { width: 360, height: 640 },
    deviceScaleFactor: 2.625,
    isMobile: true,
    hasTouch: true,
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    locale,
  };
}

export interface Fixture {
  path: string;
  size: number;
  sha256: string;
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A file of random bytes, written in blocks so even large fixtures cost little memory. */
export async function randomFixture(dir: string, name: string, size: number): Promise<Fixture> {
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  if (size === 0) {
    await writeFile(file, '');
  } else {
    const handle = await open(file, 'w');
    for (let written = 0; written < size; ) {
      const block = randomBytes(Math.min(8 * MiB, size - written));
      hash.update(block);
      await handle.write(block);
      written += block.length;
    }
    await handle.close();
  }
  return { path: file, size, sha256: size === 0 ? createHash('sha256').digest('hex') : hash.digest('hex') };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Opens Ferry, picks the files through the real file input, returns the share link. */
export async function share(page: Page, origin: string, files: string[]): Promise<string> {
  await page.goto(origin);
  await page.locator('input[type=file]').setInputFiles(files);
  const link = page.getByTestId('share-link');
  await expect.poll(() => link.inputValue(), { timeout: 15_000 }).toMatch(/#\/r\//);
  return link.inputValue();
}

/** Decodes the QR code the page drew. */
export async function readQr(page: Page): Promise<string | null> {
  const qr = page.getByTestId('share-qr');
  await qr.waitFor();
  const image = await qr.evaluate((canvas: HTMLCanvasElement) => {
    const context = canvas.getContext('2d')!;
    const data = context.getImageData(0, 0, canvas.width, canvas.height);
    return { width: data.width, height: data.height, pixels: Array.from(data.data) };
  });
  return jsQR(Uint8ClampedArray.from(image.pixels), image.width, image.height)?.data ?? null;
}

export function statusOf(page: Page) {
  return page.getByTestId('transfer-status');
}

export async function waitForState(page: Page, state: string, timeout = 120_000, index = 0): Promise<void> {
  await expect
    .poll(async () => {
      const current = await statusOf(page).nth(index).getAttribute('data-state');
      if (current === 'error' && state !== 'error') {
        throw new Error(`transfer failed: ${await statusOf(page).nth(index).innerText()}`);
      }
      return current;
    }, { timeout, interval: 250 })
    .toBe(state);
}

export interface Saved {
  name: string;
  sha256: string;
  /** Where the browser downloaded it from: a blob: URL, or the service worker's stream. */
  url: string;
  path: string;
}

/** Clicks every save control and returns each download's suggested name, SHA-256 and source. */
export async function saveAll(page: Page): Promise<Saved[]> {
  const saves = page.getByTestId('save');
  const results: Saved[] = [];
  for (let i = 0; i < (await saves.count()); i++) results.push(await savedBy(page, () => saves.nth(i).click()));
  return results;
}

/** The download that `click` starts, once it has finished. */
export async function savedBy(page: Page, click: () => Promise<void>): Promise<Saved> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), sha256: await sha256File(file), url: download.url(), path: file };
}

/** Resolves once a service worker controls the page (Ferry's claims pages on its first install). */
export async function untilControlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: 30_000 });
}

declare global {
  interface Window {
    /** Every RTCPeerConnection the page made, so a test can cut one. */
    __peerConnections: RTCPeerConnection[];
    /** Every value data-state took on any transfer-status element, in order. */
    __states: string[];
    /** File payload bytes this tab sent, counted across reloads. */
    __payloadSent: number;
  }
}

/** Runs in the page before its scripts: records connections and status changes. */
function instrumentPage(): void {
  const Native = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      window.__peerConnections.push(this);
    }
  };
  // Count file payload at the lowest level: every DATA frame (type 0x10, 13-byte
  // header) handed to any data channel. Kept in sessionStorage across reloads.
  window.__payloadSent = Number(sessionStorage.getItem('__payloadSent') ?? 0);
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
    const bytes = data as ArrayBufferView;
    if (ArrayBuffer.isView(bytes) && new Uint8Array(bytes.buffer, bytes.byteOffset, 1)[0] === 0x10) {
      window.__payloadSent += bytes.byteLength - 13;
    }
    return send.call(this, data);
  };
  addEventListener('pagehide', () => sessionStorage.setItem('__payloadSent', String(window.__payloadSent)));
  window.__states = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const state = (record.target as Element).getAttribute('data-state');
      if (state && window.__states.at(-1) !== state) window.__states.push(state);
    }
  }).observe(document, { attributes: true, attributeFilter: ['data-state'], subtree: true });
}

export function bytesReceived(page: Page): Promise<number> {
  return statusOf(page).first().getAttribute('data-bytes').then(Number);
}

/** File payload bytes the page put on its data channels, reloads included. */
export function payloadSent(page: Page): Promise<number> {
  return page.evaluate(() => window.__payloadSent);
}

export function stateHistory(page: Page): Promise<string[]> {
  return page.evaluate(() => window.__states);
}

export interface Bench {
  server: RunningServer;
  /** Two browser processes, as two devices would be. */
  senderBrowser: Browser;
  receiverBrowser: Browser;
  dir: string;
  origin: string;
  /** Whether the browsers treat the origin as secure (as over https). */
  secure: boolean;
}

/**
 * The server, two browsers and a scratch folder for one test file, started before
 * its tests and stopped after them. Read the fields inside tests, not at load time.
 * Secure by default, as Ferry is served to real users; `secure: false` exercises
 * what a plain-http page on a LAN gets (IndexedDB instead of OPFS, no StorageManager).
 */
export function useFerry({ secure = true } = {}): Bench {
  const bench = { secure } as Bench;
  let remove: () => Promise<void> = async () => {};
  beforeAll(async () => {
    let dir: string;
    [bench.server, { dir, remove }] = await Promise.all([startFerry(), tempDir()]);
    bench.dir = dir;
    bench.origin = bench.server.url.replace(/\/$/, '');
    const secureOrigin = secure ? bench.origin : undefined;
    [bench.senderBrowser, bench.receiverBrowser] = await Promise.all([launchBrowser(secureOrigin), launchBrowser(secureOrigin)]);
  });
  afterAll(async () => {
    await Promise.all([bench.senderBrowser?.close(), bench.receiverBrowser?.close()]);
    await bench.server?.close();
    await remove();
  });
  return bench;
}

export interface Started {
  sender: Page;
  senderContext: BrowserContext;
  receiver: Page;
  receiverContext: BrowserContext;
  link: string;
}

/**
 * The sender shares `files`; a receiver in the other browser opens the link and
 * presses Download. `prepare` runs on the receiver's page before it opens the link.
 */
export async function startTransfer(
  bench: Bench,
  files: string[],
  prepare?: (receiver: Page, context: BrowserContext) => Promise<void>,
): Promise<Started> {
  const { context: senderContext, page: sender } = await newPage(bench.senderBrowser);
  const link = await share(sender, bench.origin, files);
  const { context: receiverContext, page: receiver } = await newPage(bench.receiverBrowser);
  await prepare?.(receiver, receiverContext);
  await receiver.goto(link);
  await waitForState(receiver, 'waiting', 20_000);
  await receiver.getByTestId('download').click();
  return { sender, senderContext, receiver, receiverContext, link };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the receiver reports more than `bytes` received. */
export function untilReceived(receiver: Page, bytes: number, timeout = 120_000): Promise<void> {
  return expect.poll(() => bytesReceived(receiver), { timeout, interval: 100 }).toBeGreaterThan(bytes);
}

/** Where the receiving page keeps received bytes: 'opfs' or 'indexeddb'. */
export async function storagePlace(receiver: Page): Promise<string> {
  return receiver.evaluate(async () => {
    if (!navigator.storage?.getDirectory) return 'indexeddb';
    const root = await navigator.storage.getDirectory();
    try {
      await root.getDirectoryHandle('received');
      return 'opfs';
    } catch {
      return 'indexeddb';
    }
  });
}
