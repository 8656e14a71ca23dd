import { describe, expect, it } from 'vitest';
import { safePath } from '../../../app/src/common/names.ts';
import { nameKey, numbered, TakenNames, uniqueNames, uniquePaths } from '../../../app/src/files/unique-names.ts';

describe('unique names', () => {
  it('number a clashing name before its extension, as operating systems do', () => {
    expect(uniqueNames(['a.txt', 'a.txt', 'a.txt'])).toEqual(['a.txt', 'a (1).txt', 'a (2).txt']);
    expect(uniqueNames(['notes'], ['notes'])).toEqual(['notes (1)']);
    expect(uniqueNames(['archive.tar.gz'], ['archive.tar.gz'])).toEqual(['archive (1).tar.gz']);
    expect(uniqueNames(['.tar.gz'], ['.tar.gz'])).toEqual(['.tar (1).gz']);
  });

  it('skip numbers already taken, by files there or earlier in the batch', () => {
    expect(uniqueNames(['a.txt', 'a (1).txt'], ['a.txt', 'A (2).TXT'])).toEqual(['a (1).txt', 'a (1) (1).txt']);
    expect(uniqueNames(['a.txt', 'a (1).txt', 'a.txt'])).toEqual(['a.txt', 'a (1).txt', 'a (2).txt']);
  });

  it('compare as case-insensitive file systems do, composed or not', () => {
    expect(uniqueNames(['Photo.JPG', 'photo.jpg'])).toEqual(['Photo.JPG', 'photo (1).jpg']);
    expect(uniqueNames(['Cafe\u0301.txt'], ['Café.txt'])).toEqual(['Cafe\u0301 (1).txt']);
    expect(nameKey('STRASSE')).toBe(nameKey('straße'));
  });

  it('stay within the byte limit when the counter is added', () => {
    const long = `${'日'.repeat(65)}.txt`;
    const [, second] = uniqueNames([long, long]);
    expect(second).toBe(`${'日'.repeat(64)} (1).txt`);
    expect(new TextEncoder().encode(second).length).toBeLessThanOrEqual(200);
  });

  it('find a free name in linear time for a thousand copies', () => {
    const names = uniqueNames(Array.from({ length: 1000 }, () => 'a.txt'));
    expect(names.at(-1)).toBe('a (999).txt');
    expect(new Set(names.map(nameKey)).size).toBe(1000);
  });

  it('hand out each name once', () => {
    const taken = new TakenNames(['x']);
    expect([taken.claim('x'), taken.claim('X'), taken.has('x (2)')]).toEqual(['x (1)', 'X (2)', true]);
    expect(numbered('x.tar', 3)).toBe('x (3).tar');
  });
});

describe('unique paths in one tree', () => {
  it('merge folders that differ in case, spelled as first seen', () => {
    expect(uniquePaths([['Photos', 'a.jpg'], ['photos', 'b.jpg'], ['PHOTOS', 'A.JPG']])).toEqual([
      ['Photos', 'a.jpg'],
      ['Photos', 'b.jpg'],
      ['Photos', 'A (1).JPG'],
    ]);
  });

  it('rename a file that has a folder’s name beside it, whichever comes first', () => {
    expect(uniquePaths([['x'], ['x', 'y.txt']])).toEqual([['x (1)'], ['x', 'y.txt']]);
    expect(uniquePaths([['a', 'x', 'y.txt'], ['a', 'X']])).toEqual([['a', 'x', 'y.txt'], ['a', 'X (1)']]);
  });

  it('keep names apart that cleaning made equal', () => {
    const paths = ['a/b.txt', 'a\\b.txt', 'a/b?.txt', '../a/b.txt'].map(safePath);
    expect(uniquePaths(paths).map((path) => path.join('/'))).toEqual(['a/b.txt', 'a/b (1).txt', 'a/b (2).txt', 'a/b (3).txt']);
  });
});
