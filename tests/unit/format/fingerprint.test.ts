import { describe, expect, it } from 'vitest';
import { rootHex, shortFingerprint } from '../../../app/src/format/fingerprint.ts';

/** SHA-256 of nothing: the root of an empty file's block tree. */
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function bytesOfHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

describe('rootHex', () => {
  it('writes the 32 bytes as 64 lowercase hex digits, as sha256sum does', () => {
    expect(rootHex(bytesOfHex(EMPTY_ROOT))).toBe(EMPTY_ROOT);
  });

  it('keeps the leading zero of every byte below 16', () => {
    const root = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(rootHex(root)).toBe('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    expect(rootHex(new Uint8Array(32))).toBe('0'.repeat(64));
    expect(rootHex(new Uint8Array(32).fill(255))).toBe('f'.repeat(64));
  });

  it('refuses anything but 32 bytes', () => {
    expect(() => rootHex(new Uint8Array(31))).toThrow(RangeError);
    expect(() => rootHex(new Uint8Array(33))).toThrow(RangeError);
    expect(() => rootHex(new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('shortFingerprint', () => {
  it('is the first 16 hex digits in four groups of four', () => {
    expect(shortFingerprint(EMPTY_ROOT)).toBe('e3b0 c442 98fc 1c14');
    expect(shortFingerprint(rootHex(Uint8Array.from({ length: 32 }, (_, i) => i)))).toBe('0001 0203 0405 0607');
  });

  it('carries 64 bits: it changes with any of the first 16 digits, and only with those', () => {
    const base = '0'.repeat(64);
    const changedAt = (at: number) => base.slice(0, at) + '1' + base.slice(at + 1);
    for (let at = 0; at < 16; at++) expect(shortFingerprint(changedAt(at))).not.toBe(shortFingerprint(base));
    for (let at = 16; at < 64; at++) expect(shortFingerprint(changedAt(at))).toBe(shortFingerprint(base));
    expect(shortFingerprint(base).replaceAll(' ', '')).toHaveLength(16);
  });

  it('shows an uppercase root in lowercase, as the full form is written', () => {
    expect(shortFingerprint(EMPTY_ROOT.toUpperCase())).toBe('e3b0 c442 98fc 1c14');
  });

  it.each([
    ['too short', EMPTY_ROOT.slice(0, 63)],
    ['too long', `${EMPTY_ROOT}0`],
    ['not hex', `${EMPTY_ROOT.slice(0, 63)}g`],
    ['spaced', shortFingerprint(EMPTY_ROOT)],
    ['empty', ''],
  ])('refuses a root that is %s', (_, hex) => {
    expect(() => shortFingerprint(hex)).toThrow(RangeError);
  });
});
