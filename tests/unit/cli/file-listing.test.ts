import { describe, expect, it } from 'vitest';
import { fileListing, LISTED_AT_MOST } from '../../../app/cli/file-listing.ts';

describe('the files ferry send lists before its link', () => {
  it('lists each file with its size, aligned, and their total', () => {
    const files = [
      { name: 'photo.jpg', size: 3_145_733 },
      { name: 'notes.txt', size: 2000 },
      { name: 'reports/отчёт.pdf', size: 70_000 },
    ];
    expect(fileListing(files)).toEqual([
      'Sharing 3 files:',
      '   3.1 MB  photo.jpg',
      '   2.0 kB  notes.txt',
      '  70.0 kB  reports/отчёт.pdf',
      '   3.2 MB  in all',
    ]);
  });

  it('has no total line for one file', () => {
    expect(fileListing([{ name: 'a.bin', size: 5 }])).toEqual(['Sharing 1 file:', '  5 B  a.bin']);
  });

  it('counts what does not fit in the list on one line, so the link stays in sight', () => {
    const files = Array.from({ length: LISTED_AT_MOST + 5 }, (_, index) => ({ name: `f${index}`, size: 1000 }));
    const lines = fileListing(files);
    expect(lines).toHaveLength(1 + LISTED_AT_MOST + 1);
    expect(lines.at(-3)).toBe(`   1.0 kB  f${LISTED_AT_MOST - 2}`);
    expect(lines.at(-2)).toBe('   6.0 kB  and 6 more files');
    expect(lines.at(-1)).toBe('  25.0 kB  in all');
  });

  it('lists exactly as many as fit without a count line', () => {
    const files = Array.from({ length: LISTED_AT_MOST }, (_, index) => ({ name: `f${index}`, size: 1 }));
    expect(fileListing(files).filter((line) => line.includes('more files'))).toEqual([]);
  });

  it('shortens a name too long for the terminal in the middle, and shows unsafe characters as U+FFFD', () => {
    const [, line] = fileListing([{ name: `photos/${'a'.repeat(100)}/last.jpg`, size: 1 }], 40);
    expect(line).toHaveLength(39);
    expect(line).toMatch(/^ {2}1 B {2}photos\/a+…a+\/last\.jpg$/);
    expect(fileListing([{ name: 'evil\u001b[2J.txt', size: 1 }])[1]).toBe('  1 B  evil\uFFFD[2J.txt');
  });
});
