/**
 * Names a peer sent that used to break a download or slip past the cleaning: each of
 * these failed before names.ts cut on characters, counted UTF-8 bytes and knew the
 * rest of Windows' reserved names.
 */
import { describe, expect, it } from 'vitest';
import { displayName, safeFileName, safePath } from '../../../app/src/common/names.ts';
import { contentDisposition } from '../../../service-worker/content-disposition.ts';

const utf8 = (text: string) => new TextEncoder().encode(text).length;
const wellFormed = (text: string) => /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(text);

describe('long names are cut between characters, within 200 UTF-8 bytes', () => {
  it('a name of 120 emoji still downloads, cut between whole emoji', () => {
    const safe = safeFileName(`a${'😀'.repeat(120)}.txt`);
    expect(wellFormed(safe)).toBe(true);
    expect(safe).toMatch(/^a(😀)+\.txt$/u);
    expect(utf8(safe)).toBeLessThanOrEqual(200);
    expect(() => new Headers({ 'Content-Disposition': contentDisposition(safe) })).not.toThrow();
  });

  it('an emoji sequence is kept whole or dropped whole', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(safeFileName(`${'x'.repeat(170)}${family.repeat(3)}.txt`)).toBe(`${'x'.repeat(170)}${family}.txt`);
    expect(safeFileName(`${'x'.repeat(180)}${family.repeat(3)}.txt`)).toBe(`${'x'.repeat(180)}.txt`);
  });

  it('names in other scripts are limited by bytes, not characters', () => {
    const safe = safeFileName(`${'日'.repeat(150)}.txt`);
    expect(safe).toBe(`${'日'.repeat(65)}.txt`);
  });

  it('no trailing dots or spaces are left where the cut falls', () => {
    expect(safeFileName(`${'x'.repeat(195)}${' '.repeat(10)}y`)).toBe('x'.repeat(195));
    expect(safeFileName(`${'x'.repeat(190)}${'. '.repeat(10)}y.txt`)).toBe(`${'x'.repeat(190)}.txt`);
  });

  it('folders in a path are cut the same way', () => {
    const [folder] = safePath(`a${'😀'.repeat(120)}/cat.jpg`);
    expect(folder).toMatch(/^a(😀)+$/u);
    expect(utf8(folder!)).toBeLessThanOrEqual(200);
  });
});

describe('broken UTF-16', () => {
  it('a lone surrogate becomes a replacement character', () => {
    expect(safeFileName('a\uD800b.txt')).toBe('a\uFFFDb.txt');
    expect(safeFileName('\uDC00.txt')).toBe('\uFFFD.txt');
  });

  it('the download header is built for any name', () => {
    expect(() => contentDisposition('a\uD800.txt')).not.toThrow();
    expect(contentDisposition('a\uD800.txt')).toContain("filename*=UTF-8''a%EF%BF%BD.txt");
  });

  it('a name shown on screen has none either', () => {
    expect(displayName('a\uD800b')).toBe('a\uFFFDb');
  });
});

describe('the rest of the names Windows reserves', () => {
  it.each([
    ['COM¹.txt', '_COM¹.txt'],
    ['lpt³', '_lpt³'],
    ['CONIN$', '_CONIN$'],
    ['conout$.log', '_conout$.log'],
    ['CLOCK$', '_CLOCK$'],
    ['CON .txt', '_CON .txt'],
    ['.CON', '_CON'],
    ['\u200ENUL.txt', '_NUL.txt'],
  ])('%j → %j', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
  });
});

describe('invisible characters', () => {
  it('direction marks and byte order marks are removed', () => {
    expect(safeFileName('invoice\u200Egpj\u200F.exe')).toBe('invoicegpj.exe');
    expect(safeFileName('\u061Creport\uFEFF.pdf')).toBe('report.pdf');
    expect(safeFileName('\uFEFFnotes.txt')).toBe('notes.txt');
    expect(safeFileName('zero\u200Bwidth.txt')).toBe('zerowidth.txt');
  });

  it('a joiner stays inside an emoji, but a name of invisibles alone is no name', () => {
    expect(safeFileName('👩‍💻 notes.txt')).toBe('👩‍💻 notes.txt');
    expect(safeFileName('\u200D\u200C\u200D')).toBe('file');
    expect(safeFileName('\u3164\uFE0F.txt')).toBe('txt');
  });
});
