import { describe, expect, it } from 'vitest';
import {
  arrivingName,
  columnsOf,
  formatBytes,
  formatTimeLeft,
  logStep,
  plainLine,
  progressLine,
  shortenMiddle,
} from '../../../app/cli/progress-line.ts';
import { percentDone } from '../../../app/src/format/percent.ts';
import { RateMeter, type Progress } from '../../../app/src/transfer/progress.ts';

const HALFWAY: Progress = { bytes: 1_234_000_000, total: 2_700_000_000, rate: 12_300_000, eta: 125 };
const LONG_NAME = 'holiday-video-from-the-beach-2024-final.mov';

describe('numbers', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1500, '1.5 kB'],
    [99_949, '99.9 kB'],
    [99_950, '100 kB'],
    [999_499, '999 kB'],
    // Not "1000 kB": that is the next unit's 1.0.
    [999_500, '1.0 MB'],
    [2_700_000_000, '2.7 GB'],
    [5e15, '5000 TB'],
  ])('writes %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [null, ''],
    [Infinity, ''],
    [0.2, '1s'],
    [45, '45s'],
    [125, '2m 05s'],
    [3720, '1h 02m'],
    [3 * 86_400 + 4 * 3600 + 59, '3d 04h'],
  ])('writes %s seconds left as %j', (seconds, text) => {
    expect(formatTimeLeft(seconds)).toBe(text);
  });

  it('rounds the percent down, exactly, so 100% means done', () => {
    expect(percentDone({ bytes: 29, total: 100 })).toBe(29);
    expect(percentDone({ bytes: 999, total: 1000 })).toBe(99);
    expect(percentDone({ bytes: 0, total: 0 })).toBe(100);
  });
});

describe('shortenMiddle', () => {
  it('keeps the start and the end of a name that does not fit', () => {
    expect(shortenMiddle('abcdefghijklmnop.txt', 10)).toBe('abcd…p.txt');
    expect(shortenMiddle('short.txt', 10)).toBe('short.txt');
  });

  it('counts wide characters as two columns and never splits a grapheme', () => {
    expect(columnsOf('日本語ファイル名.txt')).toBe(20);
    const cut = shortenMiddle('日本語ファイル名.txt', 10);
    expect(cut).toBe('日本….txt');
    expect(columnsOf(cut)).toBeLessThanOrEqual(10);
    expect(shortenMiddle('👩‍💻👩‍💻👩‍💻👩‍💻.png', 7)).toBe('👩‍💻….png');
  });
});

describe('progressLine', () => {
  it('shows name, percent, bar, sizes, speed and time left on a wide terminal', () => {
    expect(progressLine('holiday.mov', HALFWAY, 100)).toBe(
      'holiday.mov           45% █████████████░░░░░░░░░░░░░░░░░  1.2 GB / 2.7 GB   12.3 MB/s   2m 05s left',
    );
  });

  it('shortens the name, then drops the bar, the sizes, and the speed and time left as the terminal narrows', () => {
    expect(progressLine(LONG_NAME, HALFWAY, 80)).toBe('holiday-v…final.mov   45% ████░░░░░░  1.2 GB / 2.7 GB   12.3 MB/s   2m 05s left');
    expect(progressLine(LONG_NAME, HALFWAY, 70)).toBe('holiday-v…-final.mov   45%  1.2 GB / 2.7 GB   12.3 MB/s   2m 05s left');
    expect(progressLine(LONG_NAME, HALFWAY, 50)).toBe('holiday-…inal.mov   45%   12.3 MB/s   2m 05s left');
    expect(progressLine(LONG_NAME, HALFWAY, 30)).toBe('holiday-vid…4-final.mov   45%');
    expect(progressLine(LONG_NAME, HALFWAY, 4)).toBe('45%');
  });

  it('always fills the width but its last column, so a redraw covers the line before and never wraps', () => {
    const names = [LONG_NAME, 'a', '写真アルバム2024年夏休み.zip', '🎉 party 🎉.jpg'];
    const moments: Progress[] = [HALFWAY, { bytes: 0, total: 10, rate: 0, eta: null }, { bytes: 10, total: 10, rate: 5, eta: 0 }];
    for (const name of names) {
      for (const progress of moments) {
        for (let columns = 12; columns <= 200; columns++) expect(columnsOf(progressLine(name, progress, columns))).toBe(columns - 1);
      }
    }
  });

  it('shows the speed and time left that transfer/progress.ts measures', () => {
    const meter = new RateMeter(10_000_000);
    meter.progress(0, 0);
    const line = progressLine('a.bin', meter.progress(5_000_000, 1000), 100);
    expect(line).toMatch(/ 50% .* 5\.0 MB \/ 10\.0 MB {4}5\.0 MB\/s {7}1s left$/);
  });

  it('leaves out a speed and a time left it does not know yet, keeping their columns', () => {
    const starting = progressLine('a.txt', { bytes: 0, total: 10, rate: 0, eta: null }, 80);
    expect(starting).toBe(`a.txt    0% ${'░'.repeat(28)}   0 B / 10 B${' '.repeat(26)}`);
    expect(starting).not.toMatch(/\/s|left/);
  });

  it('shows a name’s control characters and escape sequences as U+FFFD, never sends them to the terminal', () => {
    const line = progressLine('evil\u001b[2J\r\nname\u202Egpj.exe', HALFWAY, 100);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(line).toContain('evil\uFFFD[2J\uFFFD\uFFFDname\uFFFDgpj.exe');
  });
});

describe('for a log', () => {
  it('writes a plain line, with what is known', () => {
    expect(plainLine('holiday.mov', HALFWAY)).toBe('holiday.mov  45%  1.2 GB of 2.7 GB  12.3 MB/s  2m 05s left');
    expect(plainLine('a.txt', { bytes: 0, total: 10, rate: 0, eta: null })).toBe('a.txt  0%  0 B of 10 B');
  });

  it('logs a transfer in steps: eleven lines at every 10%, however many chunks arrive', () => {
    const total = 10_000_000;
    const chunk = 16_384;
    const logged: string[] = [];
    let last = -1;
    for (let sent = 0; sent < total + chunk; sent += chunk) {
      const progress = { bytes: Math.min(sent, total), total };
      if (logStep(progress, 10) !== last) logged.push(`${percentDone(progress)}%`);
      last = logStep(progress, 10);
    }
    expect(logged).toEqual(['0%', '10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%']);
  });
});

describe('the file the line is about', () => {
  const files = ['a.bin', 'b.txt', 'c.pdf'].map((name) => ({ name }));

  it('counts the file arriving now: 3/3 while the third arrives', () => {
    expect(arrivingName({ files, outcomes: ['receiving', 'pending', 'pending'] })).toBe('1/3 a.bin');
    expect(arrivingName({ files, outcomes: ['verified', 'receiving', 'pending'] })).toBe('2/3 b.txt');
    expect(arrivingName({ files, outcomes: ['verified', 'verified', 'receiving'] })).toBe('3/3 c.pdf');
  });

  it('names the next file before its first bytes, and only the count once all are in', () => {
    expect(arrivingName({ files, outcomes: ['pending', 'pending', 'pending'] })).toBe('1/3 a.bin');
    expect(arrivingName({ files, outcomes: ['verified', 'verified', 'pending'] })).toBe('3/3 c.pdf');
    expect(arrivingName({ files, outcomes: ['verified', 'verified', 'verified'] })).toBe('3/3');
  });

  it('counts files that were here before a resume, whichever they are', () => {
    expect(arrivingName({ files, outcomes: ['pending', 'verified', 'receiving'] })).toBe('2/3 c.pdf');
  });

  it('is just the name when there is one file', () => {
    expect(arrivingName({ files: [{ name: 'a.bin' }], outcomes: ['receiving'] })).toBe('a.bin');
  });
});
