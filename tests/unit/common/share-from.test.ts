import { describe, expect, it } from 'vitest';
import { shareFrom, sharedFilesStep } from '../../../app/src/common/share-from.ts';

const origin = 'https://ferry.example';

describe('who posted files to the share target, by the referrer', () => {
  it.each([
    ['https://ferry.example/', 'ferry'],
    ['https://ferry.example/?shared#/r/abcdefgh12345678/AAAAAAAAAAAAAAAAAAAAAA', 'ferry'],
    // A system share, or a page that asked for no referrer.
    ['', 'unknown'],
    ['https://evil.example/', 'other-site'],
    ['https://evil.example/ferry.example', 'other-site'],
    ['https://ferry.example.evil.example/', 'other-site'],
    ['https://ferry.example:8443/', 'other-site'],
    ['http://ferry.example/', 'other-site'],
    ['android-app://com.example.gallery/', 'other-site'],
    ['about:client', 'other-site'],
    ['not a url', 'other-site'],
  ] as const)('%j → %s', (referrer, from) => {
    expect(shareFrom(referrer, origin)).toBe(from);
  });
});

describe('shared files', () => {
  it('from Ferry itself start a share, as a pick would, even over an open one', () => {
    expect(sharedFilesStep('ferry', false)).toBe('start');
    expect(sharedFilesStep('ferry', true)).toBe('start');
  });

  it('from a system share start one when nothing is shared, and ask before replacing a share', () => {
    expect(sharedFilesStep('unknown', false)).toBe('start');
    expect(sharedFilesStep('unknown', true)).toBe('ask');
  });

  it('from another website always ask', () => {
    expect(sharedFilesStep('other-site', false)).toBe('ask');
    expect(sharedFilesStep('other-site', true)).toBe('ask');
  });
});
