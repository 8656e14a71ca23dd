/**
 * End-to-end harness: the real signal server, real Debian Chromium driven by
 * playwright-core, real files on disk. Runs only inside the private network
 * namespace (tests/e2e/in-private-network.sh), so no packet leaves the machine.
 */
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { DEFAULT_BROKER_LIMITS, type BrokerLimits } from '../../signal-server/broker-limits.ts';
import { startServer, type RunningServer } from '../../signal-server/server.ts';
import { launchBrowser } from './browsers.ts';
import { sha256File, tempDir } from './fixtures.ts';
import { holdReads, PROGRESS_LAG } from './held-reads.ts';

export { launchBrowser, launchIsolatedBrowser, launchProfileBrowser } from './browsers.ts';
export { imageFixture, MiB, randomFixture, sha256File, tempDir, type Fixture } from './fixtures.ts';

const HOST = process.env.FERRY_TEST_HOST;
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));


/**
 * The server, with the broker's limits as they ship unless a test changes some (a short
 * id grace, say). With `stun`, its own STUN responder runs and is handed out, as
 * `npm start` does; otherwise peers meet through their host candidates alone. `port`
 * starts it again where an earlier one ran (0: any free port).
 */
export async function startFerry(brokerLimits: Partial<BrokerLimits> = {}, { stun = false, port = 0 } = {}): Promise<RunningServer> {
  if (!HOST) throw new Error('end-to-end tests run inside a private network: use `npm run test:e2e`');
  return startServer(
    {
      host: HOST,
      port,
      iceServers: [],
      ...(stun && { stun: { host: HOST, port: 0 } }),
      staticDir: DIST,
      brokerLimits: { ...DEFAULT_BROKER_LIMITS, ...brokerLimits },
    },
    { log: (m) => console.error(m) },
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
  // FERRY_DEBUG=1 npm run test:e2e shows what the pages log, to see why a test hangs.
  if (process.env.FERRY_DEBUG) page.on('console', (message) => console.error(`${page.url()}: ${message.text()}`));
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

/**
 * Opens Ferry, picks the files through the real file input, returns the share link.
 * `before` runs on the page before the files are picked (to set a password, say).
 */
export async function share(page: Page, origin: string, files: string[], before?: (page: Page) => Promise<void>): Promise<string> {
  await page.goto(origin);
  await before?.(page);
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
    /** The connections the page dialled or answered through the broker. */
    __peerConnections: RTCPeerConnection[];
    /** The lanes it opened inside a session (app/src/net/lanes.ts), apart from those. */
    __lanes: RTCPeerConnection[];
    /** Every value data-state took on any transfer-status element, in order. */
    __states: string[];
    /** File payload bytes this tab sent, counted across reloads. */
    __payloadSent: number;
  }
}

/** Runs in the page before its scripts: records connections and status changes. */
export function instrumentPage(): void {
  const Native = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.__lanes = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      window.__peerConnections.push(this);
    }

    // A lane's one channel is made at once, named so (app/src/net/lanes.ts): it moves to the lanes.
    override createDataChannel(...args: Parameters<RTCPeerConnection['createDataChannel']>): RTCDataChannel {
      if (args[0] === 'ferry-lane') {
        window.__peerConnections = window.__peerConnections.filter((pc) => pc !== this);
        window.__lanes.push(this);
      }
      return super.createDataChannel(...args);
    }
  };
  // Count file payload at the lowest level: every DATA frame (type 0x10, 13-byte
  // header) and FILES frame (type 0x11, 3 bytes and 40 per file) handed to any data
  // channel (frames.ts). Kept in sessionStorage across reloads.
  window.__payloadSent = Number(sessionStorage.getItem('__payloadSent') ?? 0);
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
    const bytes = data as ArrayBufferView;
    if (ArrayBuffer.isView(bytes)) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const code = view.getUint8(0);
      if (code === 0x10) window.__payloadSent += bytes.byteLength - 13;
      if (code === 0x11) window.__payloadSent += bytes.byteLength - 3 - 40 * view.getUint16(1);
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
 * `brokerLimits` overrides some of the broker's limits for this file's server, and
 * `stun` runs its STUN responder (startFerry).
 */
export function useFerry({ secure = true, brokerLimits = {} as Partial<BrokerLimits>, stun = false } = {}): Bench {
  const bench = { secure } as Bench;
  let remove: () => Promise<void> = async () => {};
  beforeAll(async () => {
    let dir: string;
    [bench.server, { dir, remove }] = await Promise.all([startFerry(brokerLimits, { stun }), tempDir()]);
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

export interface TransferOptions {
  /** Runs on the receiver's page before it opens the link. */
  prepare?: (receiver: Page, context: BrowserContext) => Promise<void>;
  /**
   * Holds the sender's reads past this many bytes (held-reads.ts) and returns once the
   * receiver shows more than it: the transfer stays there until the test releases the
   * sender's reads, however fast the machine.
   */
  holdAt?: number;
}

/** The sender shares `files`; a receiver in the other browser opens the link and presses Download. */
export async function startTransfer(bench: Bench, files: string[], { prepare, holdAt }: TransferOptions = {}): Promise<Started> {
  const { context: senderContext, page: sender } = await newPage(bench.senderBrowser);
  const link = await share(sender, bench.origin, files);
  if (holdAt !== undefined) await sender.evaluate(holdReads, holdAt + PROGRESS_LAG);
  const { context: receiverContext, page: receiver } = await newPage(bench.receiverBrowser);
  await prepare?.(receiver, receiverContext);
  await receiver.goto(link);
  await waitForState(receiver, 'waiting', 20_000);
  await receiver.getByTestId('download').click();
  if (holdAt !== undefined) await untilReceived(receiver, holdAt);
  return { sender, senderContext, receiver, receiverContext, link };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the receiver reports more than `bytes` received. Before acting on a
 * transfer there, hold the sender's reads past it (held-reads.ts): a transfer left
 * running may finish before the test acts.
 */
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
