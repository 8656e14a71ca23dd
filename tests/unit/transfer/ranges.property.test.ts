import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRange, blockGaps, coveredBytes, isComplete, missingRanges, parseRangeList, type RangeList } from '../../../app/src/transfer/ranges.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';

const SIZE = 64;

/** The plain model: one flag per byte of a small file. */
function model(chunks: [number, number][]): boolean[] {
  const stored = new Array<boolean>(SIZE).fill(false);
  for (const [start, end] of chunks) for (let i = start; i < end; i++) stored[i] = true;
  return stored;
}

function flags(list: RangeList, size: number): boolean[] {
  const stored = new Array<boolean>(size).fill(false);
  for (const [start, end] of list) for (let i = start; i < Math.min(end, size); i++) stored[i] = true;
  return stored;
}

const chunk = fc.tuple(fc.nat(SIZE), fc.nat(SIZE)).map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]);

describe('range lists, against a byte-by-byte model', () => {
  it('hold exactly the bytes added, as a sorted list without overlaps or neighbours that parseRangeList accepts', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 30 }), fc.nat(SIZE), (chunks, size) => {
        const list = chunks.reduce<RangeList>((built, [start, end]) => addRange(built, start, end), []);
        const stored = model(chunks);
        expect(flags(list, SIZE)).toEqual(stored);
        expect(parseRangeList(JSON.parse(JSON.stringify(list)))).toEqual(list);
        expect(coveredBytes(list)).toBe(stored.filter(Boolean).length);
        const gaps = missingRanges(list, size);
        expect(flags(gaps, size)).toEqual(stored.slice(0, size).map((has) => !has));
        expect(parseRangeList(JSON.parse(JSON.stringify(gaps)))).toEqual(gaps);
        expect(isComplete(list, size)).toBe(stored.slice(0, size).every(Boolean));
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});

describe('parseRangeList, on whatever storage hands back', () => {
  it('returns null, or a sorted list of safe-integer ranges without overlaps or neighbours', () => {
    const bound = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(0.5, 2 ** 53, Number.NaN, Infinity, '1', null));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.tuple(bound, bound), fc.array(bound, { maxLength: 3 }), fc.anything()), { maxLength: 8 })), (value) => {
        const list = parseRangeList(value);
        if (list === null) return;
        let previousEnd = -1;
        for (const [start, end] of list) {
          expect(Number.isSafeInteger(start) && Number.isSafeInteger(end)).toBe(true);
          expect(start).toBeGreaterThan(previousEnd);
          expect(end).toBeGreaterThan(start);
          previousEnd = end;
        }
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});

/** blockGaps: of a small file's blocks, exactly those with a byte missing are asked for, each whole, as a valid range list. */
describe('block gaps, against a block-by-block model', () => {
  it('cover exactly the blocks with a byte missing, the last ending at the file’s size, merged where they meet', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 20 }), fc.nat(SIZE), fc.integer({ min: 1, max: 20 }), (chunks, size, blockSize) => {
        const list = chunks.reduce<RangeList>((built, [start, end]) => addRange(built, start, end), []);
        const stored = flags(list, size);
        const expected = stored.map((_, at) => {
          const block = Math.floor(at / blockSize) * blockSize;
          return stored.slice(block, block + blockSize).some((has) => !has);
        });
        const gaps = blockGaps(list, size, blockSize);
        expect(flags(gaps, size)).toEqual(expected);
        for (const [start, end] of gaps) {
          expect(start % blockSize).toBe(0);
          expect(end % blockSize === 0 || end === size).toBe(true);
          expect(end).toBeLessThanOrEqual(size);
        }
        // Sorted, without overlaps or neighbours: parseRangeList refuses any other.
        expect(parseRangeList(JSON.parse(JSON.stringify(gaps)))).toEqual(gaps);
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});
