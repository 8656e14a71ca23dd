/**
 * Debian's Firefox ESR for the browser tests, driven by puppeteer-core over WebDriver
 * BiDi (playwright-core drives only its own patched Firefox). Prefs: host candidates
 * unobfuscated (headless Firefox cannot resolve the mDNS names that would hide them),
 * the test server's plain-http origin treated as secure (OPFS, service workers), and
 * downloads written to a folder of the test's without asking.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { expect } from 'vitest';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export function launchFirefox(secureHost: string, downloads: string): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: {
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'dom.securecontext.allowlist': secureHost,
      'browser.download.folderList': 2,
      'browser.download.dir': downloads,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'browser.download.start_downloads_in_tmp_dir': false,
    },
  });
}

/** The transfer's state as the page shows it (the transfer-status element's data-state). */
export function firefoxState(page: Page): Promise<string | null> {
  return page.$eval('[data-testid=transfer-status]', (status) => status.getAttribute('data-state')).catch(() => null);
}

export async function waitForFirefoxState(page: Page, state: string, timeout = 120_000): Promise<void> {
  await expect
    .poll(
      async () => {
        const current = await firefoxState(page);
        if (current === 'error' && state !== 'error') {
          throw new Error(`transfer failed: ${await page.$eval('[data-testid=transfer-status]', (status) => (status as HTMLElement).innerText)}`);
        }
        return current;
      },
      { timeout, interval: 250 },
    )
    .toBe(state);
}

/** Bytes the page says it has received. */
export function firefoxBytes(page: Page): Promise<number> {
  return page.$eval('[data-testid=transfer-status]', (status) => Number(status.getAttribute('data-bytes'))).catch(() => 0);
}
