/**
 * Ferry as an installed app: installability, the offline shell, the share target,
 * streaming downloads (one file on an emulated phone, several as a ZIP) and the
 * update offer. The browsers treat the test origin as secure, as they would HTTPS,
 * which service workers need.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../signal-server/server.ts';
import {
  launchBrowser,
  launchIsolatedBrowser,
  launchProfileBrowser,
  imageFixture,
  MiB,
  newPage,
  pageErrors,
  phone,
  randomFixture,
  saveAll,
  savedBy,
  share,
  untilControlled,
  useFerry,
  waitForState,
} from './harness.ts';
import { readZip } from './zip-reader.ts';

const ferry = useFerry();

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

async function fetchBytes(page: Page, url: string): Promise<Buffer> {
  const response = await page.request.get(url);
  expect(response.status()).toBe(200);
  return response.body();
}

/** A multipart POST of `paths` to the share target, as Android's "Share → Ferry" sends; `rel: 'noreferrer'` hides who sent it. */
async function postShare(page: Page, paths: string[], rel = ''): Promise<void> {
  await page.evaluate((rel) => {
    const form = Object.assign(document.createElement('form'), { method: 'post', enctype: 'multipart/form-data', action: '/share-target', rel });
    form.append(Object.assign(document.createElement('input'), { type: 'file', name: 'files', multiple: true, id: 'shared-files' }));
    document.body.append(form);
  }, rel);
  await page.locator('#shared-files').setInputFiles(paths);
  await page.evaluate(() => document.querySelector<HTMLInputElement>('#shared-files')!.form!.submit());
}

describe('Ferry as an installable app', () => {
  it('is installable: a complete manifest, real icons, iOS tags, a service worker in control', async () => {
    const context = await launchProfileBrowser(path.join(ferry.dir, 'profile'), ferry.origin);
    const page = await context.newPage();
    await page.goto(ferry.origin);
    await untilControlled(page);
    const cdp = await context.newCDPSession(page);
    // Chromium's own installability check: the one behind "Install app" / "Add to Home screen".
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const { url, data, errors } = await cdp.send('Page.getAppManifest');
    expect(errors).toEqual([]);
    const manifest = JSON.parse(data!);
    expect(manifest).toMatchObject({
      id: '/',
      name: expect.stringContaining('Ferry'),
      short_name: 'Ferry',
      description: expect.any(String),
      display: 'standalone',
      start_url: '/',
      scope: '/',
      theme_color: expect.stringMatching(/^#/),
      background_color: expect.stringMatching(/^#/),
      share_target: {
        action: '/share-target',
        method: 'POST',
        enctype: 'multipart/form-data',
        params: { files: [{ name: 'files', accept: ['*/*'] }] },
      },
    });
    const icons: { src: string; sizes: string; purpose: string; type: string }[] = manifest.icons;
    const pngs = [];
    for (const icon of icons.filter((i) => i.type === 'image/png')) {
      const actual = pngSize(await fetchBytes(page, new URL(icon.src, url).href));
      expect(actual, icon.src).toBe(icon.sizes);
      pngs.push(`${icon.sizes} ${icon.purpose}`);
    }
    expect(pngs.sort()).toEqual(['192x192 any', '192x192 maskable', '512x512 any', '512x512 maskable']);
    // iOS ignores the manifest's icons and reads these instead.
    const touchIcon = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
    expect(pngSize(await fetchBytes(page, new URL(touchIcon!, ferry.origin).href))).toBe('180x180');
    expect(await page.locator('meta[name=apple-mobile-web-app-status-bar-style]').getAttribute('content')).toBeTruthy();
    expect(await page.locator('meta[name=theme-color]').getAttribute('content')).toBe(manifest.theme_color);
    await context.close();
  });

  it('opens offline after the first visit and says that sending needs a network', async () => {
    const { browser, link } = await launchIsolatedBrowser(ferry.dir, ferry.origin);
    try {
      const { page } = await newPage(browser);
      await page.goto(ferry.origin);
      await untilControlled(page);
      expect(await page.getByTestId('offline').count()).toBe(0);
      await link(false);
      // The start_url and a receive link both open from the precached shell.
      await page.reload();
      await expect.poll(() => page.getByTestId('offline').count(), { timeout: 15_000 }).toBe(1);
      expect(await page.getByRole('heading', { name: 'Send files' }).count()).toBe(1);
      await page.goto(`${ferry.origin}/#/r/abcdefgh12345678/AAAAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
      await expect.poll(() => page.getByTestId('offline').count(), { timeout: 15_000 }).toBe(1);
      await waitForState(page, 'error', 15_000);
      // Back online, the notice goes once the server answers again.
      await link(true);
      await page.getByTestId('offline').getByRole('button').click();
      await expect.poll(() => page.getByTestId('offline').count(), { timeout: 15_000 }).toBe(0);
    } finally {
      await browser.close();
    }
  });

  /** The thumbnails in a page's file list: which row each is in, and whether it was drawn. */
  function previews(page: Page) {
    return page.getByTestId('preview').evaluateAll((images) =>
      images.map((image) => ({
        row: image.closest('li')!.querySelector('.name')!.textContent,
        drawn: (image as HTMLImageElement).complete && (image as HTMLImageElement).naturalWidth > 0,
      })),
    );
  }

  it('opens what a phone received from its home list and saves it, with the sender gone and the server out of reach', async () => {
    const files = [await imageFixture(ferry.dir, 'IMG_2041.png', 1600, 1200), await randomFixture(ferry.dir, 'plan.pdf', 20_000)];
    const { page: sender, context: senderContext } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, files.map((file) => file.path));
    // The sender's list shows the photo's thumbnail, made from the picked file.
    await expect.poll(() => previews(sender)).toEqual([{ row: 'IMG_2041.png', drawn: true }]);
    const { browser, link: network } = await launchIsolatedBrowser(ferry.dir, ferry.origin);
    try {
      const { page: receiver } = await newPage(browser, phone());
      await receiver.goto(link);
      await untilControlled(receiver);
      await waitForState(receiver, 'waiting', 20_000);
      await receiver.getByTestId('download').tap();
      await waitForState(receiver, 'done');

      // Phones discard background tabs and laptops close: the sender is gone, and the server is out of reach.
      await senderContext.close();
      await network(false);
      await receiver.goto(ferry.origin);
      await receiver.getByTestId('stored-transfers').getByRole('link', { name: 'Open' }).tap();
      await waitForState(receiver, 'done', 15_000);
      expect(await receiver.locator('.files li .name').allInnerTexts()).toEqual(['IMG_2041.png', 'plan.pdf']);
      // Drawn on the phone from its own stored bytes: the image has one, the PDF its icon.
      await expect.poll(() => previews(receiver)).toEqual([{ row: 'IMG_2041.png', drawn: true }]);
      // Who sent them, as the sender described itself, is kept with them.
      expect(await receiver.getByTestId('sender-device').innerText()).toMatch(/^From Chrome \d+ on Linux \(self-reported\)$/);
      const saved = await saveAll(receiver);
      expect(saved.map(({ name, sha256 }) => ({ name, sha256 }))).toEqual(files.map((file) => ({ name: path.basename(file.path), sha256: file.sha256 })));
      // Each file says it was saved.
      await expect.poll(() => receiver.getByTestId('save').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-saved')))).toEqual(['true', 'true']);
      expect(await receiver.getByTestId('saved').allInnerTexts()).toEqual(['Saved', 'Saved']);
    } finally {
      await browser.close();
    }
  });

  it('takes two files shared from another app, offers them by link, and the receiver saves them one by one or as a ZIP', async () => {
    const files = [await randomFixture(ferry.dir, 'holiday photo.jpg', 3 * MiB + 7), await randomFixture(ferry.dir, 'notes.txt', 4321)];
    const { page: sender } = await newPage(ferry.senderBrowser);
    await sender.goto(ferry.origin);
    await untilControlled(sender);
    // What Android does on "Share → Ferry": a multipart POST to the manifest's share_target action.
    await postShare(sender, files.map((f) => f.path));
    const shareLink = sender.getByTestId('share-link');
    await expect.poll(() => shareLink.inputValue().catch(() => ''), { timeout: 20_000 }).toMatch(/#\/r\//);
    expect(new URL(sender.url()).search).toBe('');
    expect(await sender.locator('.files li .name').allInnerTexts()).toEqual(['holiday photo.jpg', 'notes.txt']);

    const { page: receiver } = await newPage(ferry.receiverBrowser);
    await receiver.goto(await shareLink.inputValue());
    await untilControlled(receiver);
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').click();
    await waitForState(receiver, 'done');

    const oneByOne = await saveAll(receiver);
    expect(oneByOne.map(({ name, sha256 }) => ({ name, sha256 }))).toEqual(files.map((f) => ({ name: path.basename(f.path), sha256: f.sha256 })));
    expect(oneByOne.every(({ url }) => new URL(url).pathname.startsWith('/ferry-download/'))).toBe(true);

    const zip = await savedBy(receiver, () => receiver.getByTestId('save-zip').click());
    expect(zip.name).toBe('holiday photo +1.zip');
    const entries = await readZip(zip.path);
    expect(entries.map(({ name, bytes }) => ({ name, sha256: createHash('sha256').update(bytes).digest('hex') }))).toEqual(
      files.map((f) => ({ name: path.basename(f.path), sha256: f.sha256 })),
    );
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('asks before files posted without a referrer replace the open share, and keeps it when told to', async () => {
    const [first, second] = [await randomFixture(ferry.dir, 'first.txt', 1000), await randomFixture(ferry.dir, 'second.txt', 2000)];
    const { page, context } = await newPage(ferry.senderBrowser);
    await page.goto(ferry.origin);
    await untilControlled(page);
    // Posted from Ferry's own page: shared at once.
    await postShare(page, [first.path]);
    const link = page.getByTestId('share-link');
    await expect.poll(() => link.inputValue().catch(() => ''), { timeout: 20_000 }).toMatch(/#\/r\//);
    const before = await link.inputValue();
    // No referrer: a system share, or a website hiding that it sent them.
    await postShare(page, [second.path], 'noreferrer');
    const question = page.getByTestId('shared-question');
    await expect.poll(() => question.count(), { timeout: 20_000 }).toBe(1);
    expect(await question.locator('h2').innerText()).toContain('instead of the current share');
    await page.getByTestId('shared-decline').click();
    expect(await question.count()).toBe(0);
    // The post reloaded the page: the share stays, with its link, waiting for its files again.
    expect(await page.getByTestId('share-link').innerText()).toBe(before);
    await context.close();
  });

  it('a phone saves a 1 GiB file through the streaming download, and it is intact', async () => {
    const file = await randomFixture(ferry.dir, 'video.mp4', 1024 * MiB);
    const { page: sender } = await newPage(ferry.senderBrowser);
    const link = await share(sender, ferry.origin, [file.path]);
    const { page: receiver, context } = await newPage(ferry.receiverBrowser, phone());
    await receiver.goto(link);
    await untilControlled(receiver);
    await waitForState(receiver, 'waiting', 20_000);
    await receiver.getByTestId('download').tap();
    // Minutes on a loaded 2-core machine; the speed is the bench's business, not this test's.
    await waitForState(receiver, 'done', 1_200_000);
    const [saved] = await saveAll(receiver);
    expect(new URL(saved!.url).pathname).toMatch(/^\/ferry-download\//);
    expect(saved!.name).toBe('video.mp4');
    expect(saved!.sha256).toBe(file.sha256);
    await Promise.all([sender.close(), context.close()]);
  }, 1_500_000);

  it('offers a new version and switches to it only when the person chooses Update', async () => {
    // A server of its own, serving a copy of the build that the test can change.
    const dist = path.join(ferry.dir, 'dist-copy');
    await cp(fileURLToPath(new URL('../../dist/', import.meta.url)), dist, { recursive: true });
    const server = await startServer({ host: new URL(ferry.origin).hostname, port: 0, iceServers: [], staticDir: dist }, { log: () => {} });
    const origin = server.url.replace(/\/$/, '');
    const browser = await launchBrowser(origin);
    try {
      const { page } = await newPage(browser);
      await page.goto(origin);
      await untilControlled(page);
      const build = () => page.locator('meta[name=ferry-test-build]').count();

      // A changed build: index.html differs, so does its revision in sw.js's precache list.
      const md5 = (text: string) => createHash('md5').update(text).digest('hex');
      const html = await readFile(path.join(dist, 'index.html'), 'utf8');
      const changed = html.replace('<title>', '<meta name="ferry-test-build" content="2" />\n    <title>');
      const worker = await readFile(path.join(dist, 'sw.js'), 'utf8');
      expect(worker).toContain(md5(html));
      await writeFile(path.join(dist, 'index.html'), changed);
      await writeFile(path.join(dist, 'sw.js'), worker.replace(md5(html), md5(changed)));

      await page.reload();
      await expect.poll(() => page.getByTestId('update-available').count(), { timeout: 30_000 }).toBe(1);
      // Installed and waiting, not in control: the page is still the old version.
      expect(await build()).toBe(0);
      await page.reload();
      expect(await build()).toBe(0);
      await expect.poll(() => page.getByTestId('update-available').count(), { timeout: 30_000 }).toBe(1);

      await page.getByTestId('update').click();
      await expect.poll(build, { timeout: 30_000 }).toBe(1);
      const registration = await page.evaluate(async () => {
        const found = await navigator.serviceWorker.getRegistration();
        return { controlled: navigator.serviceWorker.controller?.scriptURL ?? null, waiting: found?.waiting != null };
      });
      expect(registration).toEqual({ controlled: `${origin}/sw.js`, waiting: false });
      expect(await page.getByTestId('update-available').count()).toBe(0);
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it('says which app features are missing when a certificate accepted past a warning keeps the service worker out', async () => {
    // A self-signed certificate, the way people first try HTTPS on a LAN.
    const host = new URL(ferry.origin).hostname;
    const [certFile, keyFile] = [path.join(ferry.dir, 'self-signed.pem'), path.join(ferry.dir, 'self-signed-key.pem')];
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=ferry', '-addext', `subjectAltName=IP:${host}`,
    ]);
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const server = await startServer({ host, port: 0, iceServers: [], staticDir: dist, tls: { certFile, keyFile } }, { log: () => {} });
    const browser = await launchBrowser();
    try {
      // Past the warning: the page loads, as it does once a person accepts the certificate.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(server.url);
      const notice = page.getByTestId('app-features-missing');
      await expect.poll(() => notice.getAttribute('data-reason'), { timeout: 30_000 }).toBe('refused');
      expect(await notice.innerText()).toMatch(/does not fully trust this site’s certificate[^]*Sending and receiving work/);
      expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it('raised no uncaught exception in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
