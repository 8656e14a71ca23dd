/**
 * The documentation's links lead somewhere: every relative link in README.md, docs/*.md
 * and service-worker/README.md names a file that exists, and every `#anchor` a heading
 * of its target, as GitHub makes anchors of headings. A section renamed or moved
 * between files breaks a link here, not for a reader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const DOCUMENTS = [
  'README.md',
  'service-worker/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The lines of a Markdown text outside fenced code blocks, where `#` is no heading and `](` no link. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a document offers; a repeated heading gets -1, -2… as on GitHub. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = anchorOf(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The targets of a document's Markdown links and HTML `src`/`href` attributes, outside code. */
function linksOf(markdown: string): string[] {
  const links: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const [, target = ''] of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push(target);
    for (const [, target = ''] of prose.matchAll(/\b(?:src|href)="([^"]+)"/g)) links.push(target);
  }
  return links;
}

/** What is wrong with one link from `document`, or undefined when it resolves. */
function brokenLink(document: string, link: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return undefined; // https:, mailto:: not ours to check
  const [path = '', anchor] = link.split('#', 2);
  const target = path === '' ? join(ROOT, document) : resolve(dirname(join(ROOT, document)), decodeURI(path));
  if (!existsSync(target)) return `${link}: no file ${relative(ROOT, target)}`;
  if (anchor === undefined) return undefined;
  if (!target.endsWith('.md')) return `${link}: an anchor into a file that is not Markdown`;
  if (!anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
    return `${link}: no heading makes #${anchor} in ${relative(ROOT, target)}`;
  }
  return undefined;
}

describe('anchors as GitHub makes them', () => {
  it('lowercases, drops punctuation and joins words with hyphens', () => {
    expect(anchorOf('Limits: what one client may take')).toBe('limits-what-one-client-may-take');
    expect(anchorOf('In a terminal: `ferry send` and `ferry receive`')).toBe('in-a-terminal-ferry-send-and-ferry-receive');
    expect(anchorOf('How big can a file be?')).toBe('how-big-can-a-file-be');
    expect(anchorOf("The sender's id")).toBe('the-senders-id');
    expect(anchorOf('Broker capacity (`npm run bench:broker`)')).toBe('broker-capacity-npm-run-benchbroker');
  });

  it('numbers repeated headings and ignores # inside code blocks', () => {
    const anchors = anchorsOf('# Notes\n\n## Notes\n\n```ini\n# not a heading\n```\n');
    expect([...anchors]).toEqual(['notes', 'notes-1']);
  });

  it('finds the links of a text, but not those shown as code', () => {
    expect(linksOf('[a](x.md#y) `[b](z.md)` <img src="p.png">\n```\n[c](w.md)\n```')).toEqual(['x.md#y', 'p.png']);
  });
});

describe('the documentation links', () => {
  it.each(DOCUMENTS)('%s: every relative link and anchor resolves', (document) => {
    const links = linksOf(readFileSync(join(ROOT, document), 'utf8'));
    const broken = links.map((link) => brokenLink(document, link)).filter((problem) => problem !== undefined);
    expect(broken).toEqual([]);
  });

  it('finds the README’s links into docs/', () => {
    expect(linksOf(readFileSync(join(ROOT, 'README.md'), 'utf8')).filter((link) => link.startsWith('docs/'))).not.toEqual([]);
  });
});
