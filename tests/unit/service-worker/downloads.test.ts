import { describe, expect, it } from 'vitest';
import { downloadUrl, parseDownloadPath } from '../../../app/src/common/download-url.ts';
import { safePath, zipName } from '../../../app/src/common/names.ts';
import { contentDisposition } from '../../../service-worker/content-disposition.ts';

describe('download URLs', () => {
  it('round-trip a file index and the ZIP', () => {
    expect(parseDownloadPath(downloadUrl('abc_DEF-123', 7))).toEqual({ id: 'abc_DEF-123', file: 7 });
    expect(parseDownloadPath(downloadUrl('abc', 0))).toEqual({ id: 'abc', file: 0 });
    expect(parseDownloadPath(downloadUrl('abc', 'zip'))).toEqual({ id: 'abc', file: 'zip' });
  });

  it.each(['/', '/ferry-download/', '/ferry-download/abc', '/ferry-download/abc/', '/ferry-download/abc/01', '/ferry-download/abc/-1',
    '/ferry-download/abc/1/2', '/ferry-download/a%2Fb/1', '/ferry-download/abc/1e3', '/other/abc/1'])('reject %s', (path) => {
    expect(parseDownloadPath(path)).toBeNull();
  });
});

describe('Content-Disposition', () => {
  it('gives plain names as they are', () => {
    expect(contentDisposition('photo.jpg')).toBe(`attachment; filename="photo.jpg"; filename*=UTF-8''photo.jpg`);
  });

  it('carries unicode names in filename* and an ASCII stand-in in filename', () => {
    const header = contentDisposition('Résumé 📄.txt');
    expect(header).toBe(`attachment; filename="R_sum_ __.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%F0%9F%93%84.txt`);
    expect(decodeURIComponent(header.split("UTF-8''")[1]!)).toBe('Résumé 📄.txt');
  });

  it('cannot be broken out of by quotes, backslashes or percent signs', () => {
    const header = contentDisposition('a"b\\c%22d\'e.txt');
    expect(header).toMatch(/^attachment; filename="a_b_c_22d'e\.txt"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/);
    expect(decodeURIComponent(header.split("UTF-8''")[1]!)).toBe('a"b\\c%22d\'e.txt');
  });
});

describe('paths for folders and ZIPs', () => {
  it('keep folders, drop traversal, never end empty', () => {
    expect(safePath('photos/2024/cat.jpg')).toEqual(['photos', '2024', 'cat.jpg']);
    expect(safePath('../../etc/passwd')).toEqual(['etc', 'passwd']);
    expect(safePath('a\\..\\b\u202e.txt')).toEqual(['a', 'b.txt']);
    expect(safePath('dir/..')).toEqual(['dir', 'file']);
    expect(safePath('CON')).toEqual(['_CON']);
    expect(safePath('.aux/.nul.txt')).toEqual(['_aux', '_nul.txt']);
  });

  it('name a ZIP after a shared top folder, or its first file and how many more', () => {
    expect(zipName(['Holiday/a.jpg', 'Holiday/b/c.jpg'])).toBe('Holiday.zip');
    expect(zipName(['IMG_2041.jpg', 'b.jpg', 'c.pdf'])).toBe('IMG_2041 +2.zip');
    expect(zipName(['Holiday/a.jpg', 'Work/b.jpg'])).toBe('a +1.zip');
    expect(zipName(['Holiday/a.jpg', 'b.jpg'])).toBe('a +1.zip');
    expect(zipName(['notes'])).toBe('notes.zip');
    expect(zipName([])).toBe('Ferry files.zip');
    expect(zipName(['../x/a.jpg'])).toBe('x.zip');
  });
});
