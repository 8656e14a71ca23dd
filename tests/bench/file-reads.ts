/**
 * `npm run bench:reads`: how fast this machine's Chromium reads many small picked files,
 * with nothing else running: the floor under Ferry's many-files round, whose sender
 * must read every file. Picks --files files of 1 KiB in a page and times reading all
 * of them, a batch at a time, on the page's main thread and in a worker, and through
 * FileReaderSync in the worker, in alternating rounds.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser } from '../e2e/browsers.ts';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
  },
});
const count = Number(args.files);
const batch = Number(args.batch);

const folder = await mkdtemp(path.join(os.tmpdir(), 'ferry-reads-'));
const browser = await launchBrowser();
try {
  const paths = Array.from({ length: count }, (_, i) => path.join(folder, `${String(i).padStart(6, '0')}.bin`));
  for (let i = 0; i < count; i += 500) await Promise.all(paths.slice(i, i + 500).map((file) => writeFile(file, randomBytes(1024))));
  const page = await browser.newPage();
  await page.setContent('<input type="file" multiple>');
  await page.locator('input').setInputFiles(paths);
  const ways = ['main thread', 'worker', 'worker, FileReaderSync'] as const;
  const times: Record<string, number[]> = Object.fromEntries(ways.map((way) => [way, []]));
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const way of round % 2 ? [...ways].reverse() : ways) {
      const ms = await page.evaluate(
        async ({ way, batch }) => {
          const files = Array.from(document.querySelector('input')!.files!);
          const worker = new Worker(
            URL.createObjectURL(
              new Blob(
                [
                  `onmessage = async ({ data: { files, sync } }) => {
                     const reader = sync ? new FileReaderSync() : null;
                     const buffers = sync ? files.map((file) => reader.readAsArrayBuffer(file)) : await Promise.all(files.map((file) => file.arrayBuffer()));
                     postMessage(buffers, buffers);
                   };`,
                ],
                { type: 'text/javascript' },
              ),
            ),
          );
          // No named helpers in here: the script runner would wrap them in a function the page lacks.
          const start = performance.now();
          let bytes = 0;
          for (let at = 0; at < files.length; at += batch) {
            const group = files.slice(at, at + batch);
            const buffers =
              way === 'main thread'
                ? await Promise.all(group.map((file) => file.arrayBuffer()))
                : await new Promise<ArrayBuffer[]>((resolve) => {
                    worker.onmessage = (event) => resolve(event.data);
                    worker.postMessage({ files: group, sync: way !== 'worker' });
                  });
            for (const buffer of buffers) bytes += buffer.byteLength;
          }
          worker.terminate();
          if (bytes !== files.length * 1024) throw new Error(`read ${bytes} bytes`);
          return performance.now() - start;
        },
        { way, batch },
      );
      times[way]!.push(ms);
    }
  }
  console.log(`Reading ${count.toLocaleString('en')} picked files of 1 KiB, ${batch} at a time (${args.rounds} rounds):`);
  console.log('| How | Median s | Min–max s | Files/s |\n| --- | ---: | ---: | ---: |');
  for (const way of ways) {
    const sorted = [...times[way]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`| ${way} | ${(median / 1000).toFixed(2)} | ${(sorted[0]! / 1000).toFixed(2)}–${(sorted.at(-1)! / 1000).toFixed(2)} | ${Math.round(count / (median / 1000))} |`);
  }
} finally {
  await browser.close();
  await rm(folder, { recursive: true, force: true });
}
