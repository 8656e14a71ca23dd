import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName, safeFileName, safePath } from '../../app/src/transfer/names.ts';
import { fuzzRuns, fuzzTimeout } from './fuzz-runs.ts';

// Written out again rather than imported: names.ts keeps them private, and a test that
// read them from the code under test would agree with any bug.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069<>:"|?*/\\]/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Names a manifest could carry: paths, traversal, reserved and odd characters, long ones. */
const name = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '📄', '.', ' ', '/', '\\', '..', 'con', 'CON.', 'lpt1', '\u202e', '\u0000', '*', '.txt'), maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('a', 'я', '📄', ' ', '.'), minLength: 190, maxLength: 260 }),
);

function expectSafeSegment(segment: string): void {
  expect(segment).not.toBe('');
  expect(segment.length).toBeLessThanOrEqual(200);
  expect(segment).not.toMatch(UNSAFE);
  expect(segment).not.toMatch(/^\./);
  expect(segment).not.toMatch(RESERVED);
  // Windows drops a trailing dot or space, so the name saved would not be this one.
  expect(segment).not.toMatch(/[. ]$/);
}

describe('file names from a peer', () => {
  it('come out as one safe, non-empty segment of at most 200 characters', () => {
    fc.assert(
      fc.property(name, (raw) => {
        const safe = safeFileName(raw);
        expectSafeSegment(safe);
        if (!LONE_SURROGATE.test(raw)) expect(safe).not.toMatch(LONE_SURROGATE);
        // Nothing is added that the name did not hold: only characters are removed.
        if (safe !== 'file') expect([...safe].every((char) => char === '_' || raw.includes(char))).toBe(true);
      }),
      { numRuns: fuzzRuns(400) },
    );
  }, fuzzTimeout);

  it('split into safe folders and a file name, without traversal', () => {
    fc.assert(
      fc.property(name, (raw) => {
        const path = safePath(raw);
        expect(path.length).toBeGreaterThan(0);
        for (const segment of path) expectSafeSegment(segment);
      }),
      { numRuns: fuzzRuns(400) },
    );
  }, fuzzTimeout);

  it('shown, keep their length and lose every control and bidi character', () => {
    fc.assert(
      fc.property(name, (raw) => {
        const shown = displayName(raw);
        // eslint-disable-next-line no-control-regex
        expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(shown.length).toBe(raw.length || '(unnamed)'.length);
      }),
      { numRuns: fuzzRuns(200) },
    );
  }, fuzzTimeout);
});
