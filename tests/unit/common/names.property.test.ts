/**
 * Whatever name a peer sends, what Ferry makes of it is a name every file system takes
 * and a download header can carry. The rules are restated on their own (support/name-rules.ts,
 * and Node's toWellFormed) rather than taken from names.ts's patterns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName, safeFileName, safePath, zipName } from '../../../app/src/common/names.ts';
import { cutToBytes, utf8Length, wellFormed } from '../../../app/src/common/unicode.ts';
import { contentDisposition } from '../../../service-worker/content-disposition.ts';
import { fuzzRuns } from '../support/fuzz-runs.ts';
import { broken, bytes, isWellFormed, withoutFlags } from '../support/name-rules.ts';

/** Any UTF-16 code unit: lone surrogates, controls, format characters, any BMP letter. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
/** What hostile, or merely unlucky, names are made of. */
const piece = fc.constantFrom(
  'CON', 'con', 'Com¹', 'LPT³', 'lpt0', 'CONIN$', 'conout$', 'Clock$', 'nul', 'AUX', 'prn',
  '.', '..', ' ', '  ', '/', '\\', ':', '*', '?', '"', '<', '>', '|',
  '\u0000', '\u001F', '\u007F', '\u0085', '\u00AD', '\u2028', '\u00A0',
  '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u061C', '\uFEFF', '\u202E', '\u2066', '\uFE0F', '\u{E0067}', '\u{E007F}',
  '\uD83D', '\uDE00', '😀', '👨‍👩‍👧‍👦', '👍🏽', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🇫🇷', 'é', 'e\u0301', '日本', 'x', '.txt', '.tar.gz', 'x'.repeat(60),
);
const unit = fc.oneof(codeUnit, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), piece);
/** Short names, and names long enough that they must be cut. */
const anyName = fc.oneof(fc.string({ unit, maxLength: 12 }), fc.string({ unit, minLength: 20, maxLength: 90, size: 'max' }));

const toWellFormed = (text: string) => (text as unknown as { toWellFormed(): string }).toWellFormed();

/** A header value browsers accept: printable ASCII only (Headers takes ByteStrings and rejects CR, LF, NUL). */
function expectHeader(value: string): void {
  expect(value).toMatch(/^[\x20-\x7e]+$/);
  expect(new Headers({ 'Content-Disposition': value }).get('Content-Disposition')).toBe(value);
}

describe('any name a peer sends', () => {
  it('becomes a safe file name, and cleaning it again changes nothing', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const safe = safeFileName(name);
        expect(broken(safe)).toEqual([]);
        expect(safeFileName(safe)).toBe(safe);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('keeps a short extension when the name is cut', () => {
    const stem = fc.string({ unit: 'grapheme', minLength: 40, maxLength: 160, size: 'max' }).map((text) => text.replace(/[/\\.]/g, ''));
    const extension = fc.constantFrom('.txt', '.jpeg', '.tar.gz', '.mp4', '.日本');
    fc.assert(
      fc.property(stem, extension, (stem, ext) => {
        const safe = safeFileName(`x${stem}${ext}`);
        expect(safe.endsWith(ext.slice(ext.lastIndexOf('.')))).toBe(true);
        expect(bytes(safe)).toBeLessThanOrEqual(200);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('becomes a path of safe segments', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const path = safePath(name);
        expect(path.length).toBeGreaterThan(0);
        expect(path.flatMap(broken)).toEqual([]);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('gives a safe ZIP name', () => {
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 4 }), (names) => {
        const zip = zipName(names);
        expect(broken(zip)).toEqual([]);
        expect(zip.endsWith('.zip')).toBe(true);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  it('is shown with every invisible trick replaced and broken UTF-16 repaired', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const shown = displayName(name);
        expect(isWellFormed(shown)).toBe(true);
        expect(withoutFlags(shown)).not.toMatch(/[\p{Cc}\u2028\u2029]|(?![\u200C\u200D])\p{Cf}/u);
        expect(shown.trim()).not.toBe('');
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('the download header', () => {
  it('is built for any string at all and carries it, repaired, in filename*', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const value = contentDisposition(name);
        expectHeader(value);
        expect(decodeURIComponent(value.split("filename*=UTF-8''")[1]!)).toBe(toWellFormed(name));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('is built for every safe name, which it carries unchanged', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const safe = safeFileName(name);
        const value = contentDisposition(safe);
        expectHeader(value);
        expect(decodeURIComponent(value.split("filename*=UTF-8''")[1]!)).toBe(safe);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});

describe('the Unicode helpers', () => {
  it('repair and measure text as the platform does', () => {
    fc.assert(
      fc.property(anyName, (text) => {
        expect(wellFormed(text)).toBe(toWellFormed(text));
        expect(utf8Length(text)).toBe(bytes(text));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('cut between graphemes, within the budget', () => {
    const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    fc.assert(
      fc.property(anyName.map(wellFormed), fc.integer({ min: 4, max: 200 }), (text, max) => {
        const cut = cutToBytes(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(bytes(cut)).toBeLessThanOrEqual(max);
        expect(isWellFormed(cut)).toBe(true);
        const [first = ''] = Array.from(graphemes.segment(text), ({ segment }) => segment);
        // Only a first grapheme too big for the budget may be split, and then not left empty.
        if (bytes(first) > max) expect(cut).not.toBe('');
        else {
          const boundaries = new Set(Array.from(graphemes.segment(text), ({ index }) => index).concat(text.length));
          expect(boundaries.has(cut.length)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
