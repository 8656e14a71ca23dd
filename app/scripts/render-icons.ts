// Renders app/public/icons/icon.svg into the PNG icons the web app manifest and iOS
// need: `npm run icons`. The PNGs are committed, so a build never needs a browser;
// run this again after changing the SVG.
//
// "any" icons keep the SVG's rounded corners on a transparent background; maskable
// icons and the apple-touch-icon are full-bleed squares, because the platform cuts
// its own shape out of them (the artwork stays inside the central 80% safe zone).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ICONS = fileURLToPath(new URL('../public/icons/', import.meta.url));

const OUTPUTS = [
  { file: 'icon-192.png', size: 192, fullBleed: false },
  { file: 'icon-512.png', size: 512, fullBleed: false },
  { file: 'maskable-192.png', size: 192, fullBleed: true },
  { file: 'maskable-512.png', size: 512, fullBleed: true },
  { file: 'apple-touch-icon.png', size: 180, fullBleed: true },
];

const svg = await readFile(`${ICONS}icon.svg`, 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  for (const { file, size, fullBleed } of OUTPUTS) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const source = fullBleed ? svg.replace(/ rx="\d+"/, '') : svg;
    const url = `data:image/svg+xml;base64,${Buffer.from(source).toString('base64')}`;
    await page.setContent(`<body style="margin:0"><img src="${url}" width="${size}" height="${size}" style="display:block">`);
    await page.locator('img').screenshot({ path: `${ICONS}${file}`, omitBackground: !fullBleed });
    await page.close();
    console.log(`wrote ${file}`);
  }
} finally {
  await browser.close();
}
