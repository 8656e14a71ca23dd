/**
 * The layer map (docs/architecture.md, "Layers") held by a test: every relative import
 * in the code that ships goes along an edge of LAYERS, and no file imports itself round
 * a circle. `npm run layers` runs just this file.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, sourceFiles } from './support/import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHIPPED = ['app/src', 'app/cli', 'signal-server', 'service-worker'];

/**
 * Each layer, lowest first, and the layers it may import besides itself. A layer
 * imports only layers above it in this list, so layers cannot import in a circle.
 */
const LAYERS = {
  /** The root package.json, read for the version. */
  'package.json': [],
  /** What the page, the service worker, the terminal and the server must agree on: safe in all of them. */
  common: [],
  /** Sizes, percentages and times left, worded alike on the page and in the terminal. */
  format: [],
  /** The protocol: messages, frames, flow, the sender and receiver sessions, proofs. */
  transfer: ['common'],
  /** Local files: reading and hashing them off the main thread, unique names on disk. */
  files: ['common', 'transfer'],
  /** A share and a receive as a whole; owns the ports (host-ports.ts) and records the adapters fill. */
  session: ['common', 'transfer', 'files'],
  /** The broker and WebRTC, behind session's ports. */
  net: ['common', 'transfer', 'session'],
  /** IndexedDB, OPFS and saving, behind session's records. */
  storage: ['common', 'transfer', 'files', 'session'],
  /** The page's views and their state. */
  ui: ['common', 'format', 'transfer', 'files', 'session', 'net', 'storage'],
  /** app/src/main.ts: mounts the ui, and switches tracing on for the benchmark. */
  page: ['transfer', 'ui'],
  /** The service worker: downloads from storage, the share target. */
  'service-worker': ['common', 'storage'],
  /** The terminal client (app/cli), with its own Node-only modules; the package for its version. */
  cli: ['common', 'format', 'transfer', 'files', 'session', 'net', 'package.json'],
  /** The server: the broker, presence, configuration. */
  'signal-server': ['common'],
} as const satisfies Record<string, readonly string[]>;

type Layer = keyof typeof LAYERS;

/** The layer a file (relative to the root) belongs to; null for a folder the map lacks. */
function layerOf(file: string): Layer | null {
  const [top, second, third] = file.split('/');
  if (file === 'app/src/main.ts') return 'page';
  if (top === 'app' && second === 'src') return third && third in LAYERS && file.split('/').length > 3 ? (third as Layer) : null;
  if (top === 'app' && second === 'cli') return 'cli';
  if (file === 'package.json') return 'package.json';
  return top && top in LAYERS ? (top as Layer) : null;
}

const files = sourceFiles(ROOT, SHIPPED);
const { imports, unresolved } = importGraph(ROOT, files);

describe('the layer map', () => {
  it('is ordered: a layer imports only layers listed before it', () => {
    const names = Object.keys(LAYERS);
    const upward = Object.entries(LAYERS).flatMap(([layer, allowed]) =>
      (allowed as readonly string[]).filter((other) => names.indexOf(other) > names.indexOf(layer)).map((other) => `${layer} → ${other}`),
    );
    expect(upward).toEqual([]);
  });

  it('places every shipped file in a layer', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => layerOf(file) === null)).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    expect(unresolved).toEqual([]);
  });

  it('every import goes along an allowed edge', () => {
    const forbidden: string[] = [];
    for (const [file, targets] of imports) {
      const from = layerOf(file)!;
      for (const target of targets) {
        const to = layerOf(target);
        const allowed = LAYERS[from] as readonly string[];
        if (to !== from && !(to && allowed.includes(to))) forbidden.push(`${file} → ${target} (${from} may not import ${to ?? 'outside the map'})`);
      }
    }
    expect(forbidden).toEqual([]);
  });

  it('has no file that imports itself round a circle', () => {
    expect(importCycles(imports)).toEqual([]);
  });
});

describe('importCycles', () => {
  it('names the circle, one way round', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCycles(graph)).toEqual(['a.ts → b.ts → c.ts → a.ts', 'e.ts → e.ts']);
  });
});
