/**
 * `npm run bench:hash`: how fast SHA-256 runs on one input of each size from 64 KiB to
 * 4 MiB, in Chromium (WebCrypto, `crypto.subtle.digest`) and in Node (`node:crypto`),
 * which is how BLOCK_SIZE was chosen; then how fast the block tree
 * (app/src/transfer/block-tree.ts) hashes a whole file, block by block as a sender
 * reads it and with several blocks in flight. Prints MB/s and writes
 * docs/bench/block-hash.md (or --out).
 *
 * Chromium runs headless on a blank loopback page; this needs no network, but runs inside the
 * private network namespace all the same, as every browser the project starts does.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { nodeDigest } from '../../app/cli/block-digest-node.ts';
import { BLOCK_SIZE, BlockTreeBuilder, type Digest } from '../../app/src/transfer/block-tree.ts';
import { browserArgs, CHROMIUM } from '../e2e/browsers.ts';
import { MiB } from '../e2e/fixtures.ts';
import { loadPageModule } from './page/page-module.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values: args } = parseArgs({
  options: {
    /** MiB hashed per input size in the digest table. */
    'digest-size': { type: 'string', default: '64' },
    /** MiB of the file the tree is built over. */
    'tree-size': { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(ROOT, 'docs/bench') },
  },
});
const digestBytes = Number(args['digest-size']) * MiB;
const treeBytes = Number(args['tree-size']) * MiB;
const rounds = Number(args.rounds);
const INPUT_SIZES = [64, 128, 256, 512, 1024, 2048, 4096].map((kib) => kib * 1024);
/** Blocks hashed at once in the "in flight" tree rounds: enough to keep WebCrypto's threads busy. */
const IN_FLIGHT = 8;

/** What one side (the page or Node) measured, in MB/s. */
interface Speeds {
  /** Input size → MB/s of one digest after another. */
  digest: Record<number, number>;
  /** The tree over the whole file, awaiting each block in turn. */
  treeInTurn: number;
  /** The same with IN_FLIGHT blocks hashing at once. */
  treeInFlight: number;
}

/**
 * The measurements, as one function that runs alike in the page and in Node: given
 * a digest and the block tree module, it times each case `rounds` times and keeps
 * the median. Self-contained, because the page receives it as source text.
 */
async function measure(
  digest: Digest,
  tree: { BlockTreeBuilder: typeof BlockTreeBuilder; BLOCK_SIZE: number },
  fill: (bytes: Uint8Array) => void,
  settings: { inputSizes: number[]; digestBytes: number; treeBytes: number; rounds: number; inFlight: number },
): Promise<Speeds> {
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const timed = async (bytes: number, run: () => Promise<unknown>) => {
    const speeds: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const start = performance.now();
      await run();
      speeds.push(bytes / 1e6 / ((performance.now() - start) / 1000));
    }
    return middle(speeds);
  };
  const file = new Uint8Array(Math.max(settings.treeBytes, settings.digestBytes));
  fill(file);
  const digestSpeeds: Record<number, number> = {};
  for (const size of settings.inputSizes) {
    digestSpeeds[size] = await timed(settings.digestBytes, async () => {
      for (let at = 0; at + size <= settings.digestBytes; at += size) await digest(file.subarray(at, at + size));
    });
  }
  const whole = file.subarray(0, settings.treeBytes);
  const blockCount = Math.ceil(whole.length / tree.BLOCK_SIZE);
  const block = (index: number) => whole.subarray(index * tree.BLOCK_SIZE, (index + 1) * tree.BLOCK_SIZE);
  const treeInTurn = await timed(whole.length, async () => {
    const builder = new tree.BlockTreeBuilder(digest);
    for (let index = 0; index < blockCount; index++) await builder.addBlock(block(index));
    await builder.finish();
  });
  const treeInFlight = await timed(whole.length, async () => {
    const builder = new tree.BlockTreeBuilder(digest);
    const pending = new Set<Promise<void>>();
    for (let index = 0; index < blockCount; index++) {
      const added: Promise<void> = builder.addBlock(block(index)).then(() => void pending.delete(added));
      pending.add(added);
      if (pending.size >= settings.inFlight) await Promise.race(pending);
    }
    await Promise.all(pending);
    await builder.finish();
  });
  return { digest: digestSpeeds, treeInTurn, treeInFlight };
}

const settings = { inputSizes: INPUT_SIZES, digestBytes, treeBytes, rounds, inFlight: IN_FLIGHT };

const BLANK_PAGE = 'http://127.0.0.1/block-hash';

async function inChromium(page: Page): Promise<Speeds> {
  // WebCrypto exists only in secure contexts, and a loopback origin is one; the page is served by interception.
  await page.route(BLANK_PAGE, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>block hashing</title>' }));
  await page.goto(BLANK_PAGE);
  await loadPageModule(page, path.join(ROOT, 'app/src/transfer/block-tree.ts'), 'blockTree');
  // The page's own adapter, as Ferry's page will hash with it.
  await loadPageModule(page, path.join(ROOT, 'app/src/transfer/block-tree.ts'), 'blockDigest');
  // tsx compiles this file keeping function names through a helper the page lacks.
  await page.evaluate('globalThis.__name = (fn) => fn');
  return page.evaluate(
    async ([measureSource, settings]) => {
      const tree = (window as unknown as { blockTree: Parameters<typeof measure>[1] }).blockTree;
      const { blockDigest: digest } = (window as unknown as { blockDigest: typeof import('../../app/src/transfer/block-tree.ts') }).blockDigest;
      // getRandomValues fills at most 64 KiB at a time.
      const fill = (bytes: Uint8Array) => {
        for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      };
      const run = (0, eval)(`(${measureSource})`) as typeof measure;
      return run(digest, tree, fill, settings);
    },
    [measure.toString(), settings] as const,
  );
}

function table(chromiumVersion: string, page: Speeds, node: Speeds): string {
  const mb = (value: number) => value.toFixed(0);
  const lines = [
    `SHA-256, one input after another, ${digestBytes / MiB} MiB per size, MB/s (median of ${rounds}):`,
    '',
    '| input | Chromium (WebCrypto) | Node (node:crypto) |',
    '| ---: | ---: | ---: |',
    ...INPUT_SIZES.map((size) => `| ${size / 1024} KiB | ${mb(page.digest[size]!)} | ${mb(node.digest[size]!)} |`),
    '',
    `The block tree over ${treeBytes / MiB} MiB, ${BLOCK_SIZE / 1024} KiB blocks, MB/s (median of ${rounds}):`,
    '',
    '| blocks hashed | Chromium (WebCrypto) | Node (node:crypto) |',
    '| --- | ---: | ---: |',
    `| one at a time | ${mb(page.treeInTurn)} | ${mb(node.treeInTurn)} |`,
    `| ${IN_FLIGHT} in flight | ${mb(page.treeInFlight)} | ${mb(node.treeInFlight)} |`,
    '',
    `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores; ${chromiumVersion}; Node ${process.version}; load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')} at the end.`,
  ];
  return `${lines.join('\n')}\n`;
}

const chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: browserArgs(undefined), headless: true });
try {
  const page = await browser.newPage();
  const pageSpeeds = await inChromium(page);
  const nodeSpeeds = await measure(nodeDigest, { BlockTreeBuilder, BLOCK_SIZE }, (bytes) => void randomFillSync(bytes), settings);
  const report = table(chromiumVersion, pageSpeeds, nodeSpeeds);
  console.log(report);
  await mkdir(args.out, { recursive: true });
  await writeFile(path.join(args.out, 'block-hash.md'), report);
  console.log(`wrote block-hash.md to ${args.out}`);
} finally {
  await browser.close();
}
