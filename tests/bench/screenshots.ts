/**
 * `npm run screenshots`: pictures of Ferry's main views for the README, taken from
 * the real app (the production build, the real server, two Debian Chromium
 * processes) in English and Russian, into docs/screenshots (or --out):
 *
 *   home.LANG.png           the start page, on a 1280×800 desktop
 *   share.LANG.png          the share link and its QR code, on that desktop ("ask me first" on, a text with the files)
 *   phone-approval.LANG.png a phone that opened the link, waiting to be allowed
 *   sender-asking.LANG.png  the desktop's window (what is in view, not the whole page) then
 *   phone-offered.LANG.png  the phone once allowed, before Download
 *   phone-receiving.LANG.png  the same phone partway through
 *   sender-sending.LANG.png the desktop's window then
 *   phone-done.LANG.png     the phone once every file arrived
 *   sender-done.LANG.png    the desktop's window then
 *
 * The content is fixed (file names, sizes and bytes, the sender's user agent), so a
 * view that did not change draws the same picture again. The transfer is caught
 * partway by holding the sender's file reads (tests/e2e/held-reads.ts), never by
 * waiting for a figure. Runs inside the private network namespace: use
 * `npm run screenshots`.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { startServer } from '../../signal-server/server.ts';
import { launchBrowser } from '../e2e/browsers.ts';
import { MiB, tempDir } from '../e2e/fixtures.ts';
import { holdReads, releaseReads } from '../e2e/held-reads.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const { values: args } = parseArgs({ options: { out: { type: 'string', default: path.join(ROOT, 'docs/screenshots') } } });

const HOST = process.env.FERRY_TEST_HOST;
if (!HOST) {
  console.error('The screenshots are taken inside a private network namespace: use `npm run screenshots`.');
  process.exit(2);
}

const LOCALES = [
  { name: 'en', tag: 'en-US' },
  { name: 'ru', tag: 'ru-RU' },
] as const;

/** A laptop's browser, with a fixed version so the receiver's "From …" line stays the same. */
const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  deviceScaleFactor: 1,
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

/** A Pixel 7 in Chrome, held upright: its real viewport, drawn at 2× to keep the files small. */
const PHONE: BrowserContextOptions = {
  viewport: { width: 412, height: 915 },
  screen: { width: 412, height: 915 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
};

/** What the phone receives partway: the photos and the small files arrived, the archive about half. */
const HOLD_FRACTION = 0.55;
const ARCHIVE_BYTES = 24 * MiB;
const WAIT_MS = 30_000;

interface Picked {
  paths: string[];
  /** All of them together, in bytes. */
  size: number;
  /** How many should show a thumbnail once they can be read. */
  photos: number;
}

/** The files a person might send from a laptop to a phone, written into `dir`. */
async function writeFiles(browser: Browser, dir: string): Promise<Picked> {
  const page = await browser.newPage();
  const photos = [
    { name: 'IMG_2041.jpg', scene: 0 },
    { name: 'IMG_2042.jpg', scene: 1 },
  ];
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (const { name, scene } of photos) files.push({ name, bytes: Buffer.from(await page.evaluate(drawPhoto, scene), 'base64') });
  await page.close();
  files.push({ name: 'Budget 2027.pdf', bytes: budgetPdf() });
  files.push({ name: 'notes.txt', bytes: Buffer.from(NOTES) });
  files.push({ name: 'Holiday 2026.zip', bytes: fixedBytes(ARCHIVE_BYTES) });
  const paths = [];
  for (const { name, bytes } of files) {
    paths.push(path.join(dir, name));
    await writeFile(paths.at(-1)!, bytes);
  }
  return { paths, size: files.reduce((sum, file) => sum + file.bytes.length, 0), photos: photos.length };
}

/** Runs in a page: a 1600×1200 JPEG of a landscape (base64), the same every time for the same `scene`. */
function drawPhoto(scene: number): string {
  const canvas = document.createElement('canvas');
  canvas.width = 1600;
  canvas.height = 1200;
  const g = canvas.getContext('2d')!;
  const sky = g.createLinearGradient(0, 0, 0, 800);
  const [top, bottom, sun] = scene === 0 ? ['#1d3b6e', '#f2a65a', '#ffd27f'] : ['#4a90c8', '#cfe8f5', '#fffbe6'];
  sky.addColorStop(0, top);
  sky.addColorStop(1, bottom);
  g.fillStyle = sky;
  g.fillRect(0, 0, 1600, 1200);
  g.fillStyle = sun;
  g.beginPath();
  g.arc(scene === 0 ? 1050 : 350, scene === 0 ? 640 : 260, 110, 0, 2 * Math.PI);
  g.fill();
  const hills = scene === 0 ? ['#3c4f3a', '#2b3a2c', '#1c261d'] : ['#6f9c5a', '#4f7d43', '#365c2f'];
  hills.forEach((colour, layer) => {
    g.fillStyle = colour;
    g.beginPath();
    g.moveTo(0, 1200);
    for (let x = 0; x <= 1600; x += 20) {
      g.lineTo(x, 700 + layer * 150 + 60 * Math.sin(x / (180 + layer * 70) + layer * 2 + scene) + 30 * Math.sin(x / 47 + layer));
    }
    g.lineTo(1600, 1200);
    g.fill();
  });
  return canvas.toDataURL('image/jpeg', 0.9).split(',')[1]!;
}

/** A text sent with the files, as a person copies one from a laptop to a phone. */
const NOTE = 'Guest Wi-Fi: Harbour-5G\nPassword: paper boats at noon\nThe booking: https://example.org/booking/4417';

const NOTES = `Trip checklist
- passports (both expire 2029)
- chargers, the long USB-C cable
- print the boarding passes
- tell Anna the spare key is with the neighbours
`;

/** A one-page PDF with a small table, built by hand so its bytes never change. */
function budgetPdf(): Uint8Array {
  const rows = [
    ['Rent', '14 400'],
    ['Food', '6 300'],
    ['Transport', '1 900'],
    ['Holidays', '2 500'],
    ['Total', '25 100'],
  ];
  const text = [
    'BT /F1 28 Tf 72 760 Td (Budget 2027) Tj ET',
    ...rows.map(([item, sum], i) => `BT /F1 14 Tf 72 ${700 - i * 24} Td (${item}) Tj 300 0 Td (${sum} EUR) Tj ET`),
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** `size` bytes that look random and are the same on every run (AES-CTR of zeros under a fixed key). */
function fixedBytes(size: number): Uint8Array {
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A page in a context of its own, speaking `locale`; a phone's lacks the desktop-only file pickers, as Android Chrome does. */
async function openPage(browser: Browser, options: BrowserContextOptions, locale: string): Promise<Page> {
  const context = await browser.newContext({ ...options, locale });
  // tsx keeps function names by wrapping the named functions inside those handed to a
  // page (holdReads) in a `__name` helper that only Node has.
  await context.addInitScript('globalThis.__name = (target) => target;');
  if (options.isMobile) {
    await context.addInitScript(() => {
      delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
      delete (window as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    });
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`${page.url()}: ${error.message}`));
  return page;
}

/** Resolves once the receiver's transfer is in `state`; throws if it failed instead. */
async function untilState(page: Page, state: string): Promise<void> {
  const handle = await page.waitForFunction(
    (wanted) => {
      const current = document.querySelector('[data-testid=transfer-status]')?.getAttribute('data-state');
      return (current === wanted || current === 'error') && current;
    },
    state,
    { timeout: WAIT_MS, polling: 100 },
  );
  if ((await handle.jsonValue()) === 'error') throw new Error(`the transfer failed: ${await page.getByTestId('transfer-status').innerText()}`);
}

/**
 * Resolves once the page's picture is complete: fonts loaded, every thumbnail the
 * list will show drawn (when this build draws thumbnails at all), and the figures
 * still for half a second, since progress is repainted at most every 100 ms.
 */
async function settled(page: Page, thumbnails: number): Promise<void> {
  await page.waitForFunction(
    (wanted) => {
      if (document.fonts.status !== 'loaded') return false;
      const drawsThumbnails = document.querySelector('.files .preview') !== null;
      const drawn = Array.from(document.querySelectorAll<HTMLImageElement>('.files img[data-testid=preview]'));
      return !drawsThumbnails || (drawn.length >= wanted && drawn.every((image) => image.complete && image.naturalWidth > 0));
    },
    thumbnails,
    { timeout: WAIT_MS, polling: 100 },
  );
  const still = await page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        let quiet = setTimeout(() => resolve(true), 500);
        // A view that never stops changing (a clock) is taken as it is.
        setTimeout(() => resolve(false), 5000);
        new MutationObserver(() => {
          clearTimeout(quiet);
          quiet = setTimeout(() => resolve(true), 500);
        }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      }),
  );
  if (!still) console.error(`${page.url()} kept changing; taken as it was`);
}

/** The whole page, or (`window`) only what is in view without scrolling. */
async function shoot(page: Page, name: string, { window = false } = {}): Promise<void> {
  const file = path.join(args.out, name);
  await page.screenshot({ path: file, fullPage: !window, animations: 'disabled', caret: 'hide' });
  console.error(`wrote ${path.relative(ROOT, file)}`);
}

/** Every view in one language: the desktop shares the files, the phone receives them. */
async function views(browsers: { sender: Browser; receiver: Browser }, origin: string, files: Picked, locale: (typeof LOCALES)[number]): Promise<void> {
  const sender = await openPage(browsers.sender, DESKTOP, locale.tag);
  await sender.goto(origin);
  await sender.locator('input[type=file]').waitFor({ state: 'attached' });
  await settled(sender, 0);
  await shoot(sender, `home.${locale.name}.png`);

  await sender.getByTestId('ask-first').check();
  await sender.getByTestId('text-input').fill(NOTE);
  await sender.locator('input[type=file]').setInputFiles(files.paths);
  await sender.locator('[data-testid=share][data-broker=online]').waitFor({ timeout: WAIT_MS });
  await sender.getByTestId('share-qr').waitFor();
  await settled(sender, files.photos);
  await shoot(sender, `share.${locale.name}.png`);
  const link = await sender.locator('input[data-testid=share-link]').inputValue();

  const holdAt = Math.round(files.size * HOLD_FRACTION);
  await sender.evaluate(holdReads, holdAt);
  const phone = await openPage(browsers.receiver, PHONE, locale.tag);
  await phone.goto(link);
  await untilState(phone, 'approval');
  await settled(phone, 0);
  await shoot(phone, `phone-approval.${locale.name}.png`);
  await sender.getByTestId('approve').waitFor({ timeout: WAIT_MS });
  await settled(sender, files.photos);
  await shoot(sender, `sender-asking.${locale.name}.png`, { window: true });

  await sender.getByTestId('approve').click();
  await untilState(phone, 'waiting');
  await settled(phone, 0);
  await shoot(phone, `phone-offered.${locale.name}.png`);

  await phone.getByTestId('download').click();
  // The reads stop at the hold: the phone gets there and no further until they are released.
  await phone.waitForFunction(
    (bytes) => Number(document.querySelector('[data-testid=transfer-status]')?.getAttribute('data-bytes')) >= bytes,
    holdAt,
    { timeout: WAIT_MS, polling: 100 },
  );
  await settled(phone, files.photos);
  await shoot(phone, `phone-receiving.${locale.name}.png`);
  await settled(sender, files.photos);
  await shoot(sender, `sender-sending.${locale.name}.png`, { window: true });

  await sender.evaluate(releaseReads);
  await untilState(phone, 'done');
  await settled(phone, files.photos);
  await shoot(phone, `phone-done.${locale.name}.png`);
  await sender.locator('[data-testid=receiver-row] [data-testid=transfer-status][data-state=done]').waitFor({ timeout: WAIT_MS });
  await settled(sender, files.photos);
  await shoot(sender, `sender-done.${locale.name}.png`, { window: true });
  await Promise.all([sender.context().close(), phone.context().close()]);
}

// Phones draw the file-kind icons (📕, 📝) in colour; without an emoji font Chromium draws empty boxes.
if (!execFileSync('fc-list', [':charset=1f4dd'], { encoding: 'utf8' }).trim()) {
  console.error('No emoji font: the icons beside file names will be empty boxes (Debian: apt-get install fonts-noto-color-emoji).');
}

const server = await startServer({ host: HOST, port: 0, iceServers: [], staticDir: DIST }, { log: (message) => console.error(message) });
const origin = new URL(server.url).origin;
const { dir, remove } = await tempDir();
// Treated as secure, as Ferry's https origin is: received bytes go to OPFS, as on a phone.
const [sender, receiver] = await Promise.all([launchBrowser(origin), launchBrowser(origin)]);
try {
  await mkdir(args.out, { recursive: true });
  const files = await writeFiles(sender, dir);
  for (const locale of LOCALES) await views({ sender, receiver }, origin, files, locale);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await Promise.all([sender.close(), receiver.close()]);
  await server.close();
  await remove();
  // The peer server's timers would keep the process alive.
  process.exit();
}
