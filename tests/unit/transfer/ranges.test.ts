import { describe, expect, it } from 'vitest';
import { addRange, blockGaps, coveredBytes, isComplete, missingRanges, parseRangeList, type RangeList } from '../../../app/src/transfer/ranges.ts';

function build(...pairs: [number, number][]): RangeList {
  return pairs.reduce<RangeList>((list, [s, e]) => addRange(list, s, e), []);
}

describe('range lists', () => {
  it('merge in-order chunks into one range', () => {
    expect(build([0, 10], [10, 20], [20, 25])).toEqual([[0, 25]]);
  });

  it('keep gaps from out-of-order chunks and close them when the gap arrives', () => {
    const list = build([20, 30], [0, 10]);
    expect(list).toEqual([[0, 10], [20, 30]]);
    expect(addRange(list, 10, 20)).toEqual([[0, 30]]);
  });

  it('ignore duplicates and absorb overlaps', () => {
    expect(build([0, 10], [0, 10], [5, 8])).toEqual([[0, 10]]);
    expect(build([0, 10], [5, 15], [30, 40], [12, 35])).toEqual([[0, 40]]);
    expect(build([10, 20], [30, 40], [0, 50])).toEqual([[0, 50]]);
  });

  it('ignore empty chunks', () => {
    expect(build([5, 5])).toEqual([]);
  });

  it('name exactly the missing bytes, and nothing when complete', () => {
    const list = build([0, 10], [20, 30], [35, 40]);
    expect(missingRanges(list, 50)).toEqual([[10, 20], [30, 35], [40, 50]]);
    expect(missingRanges([], 7)).toEqual([[0, 7]]);
    expect(missingRanges([], 0)).toEqual([]);
    expect(missingRanges(build([0, 50]), 50)).toEqual([]);
    expect(isComplete(build([0, 50]), 50)).toBe(true);
    expect(isComplete(list, 50)).toBe(false);
    expect(coveredBytes(list)).toBe(25);
  });

  it('the request after a drop asks only for what is missing (a minimal request)', () => {
    const size = 200 * 1024 * 1024;
    const list = build([0, 104_857_600]);
    const missing = missingRanges(list, size);
    expect(missing).toEqual([[104_857_600, size]]);
    expect(coveredBytes(missing) + coveredBytes(list)).toBe(size);
  });

  it('survive a JSON round-trip and reject damaged ones', () => {
    const list = build([0, 10], [20, 30]);
    expect(parseRangeList(JSON.parse(JSON.stringify(list)))).toEqual(list);
    expect(parseRangeList([[0, 10], [5, 20]])).toBeNull();
    expect(parseRangeList([[10, 5]])).toBeNull();
    expect(parseRangeList([[0, 1.5]])).toBeNull();
    expect(parseRangeList('nope')).toBeNull();
    expect(parseRangeList([[0, 10], [10, 20]])).toBeNull();
  });
});

describe('block gaps', () => {
  it('are the whole file when nothing is stored, and nothing when all is or the file is empty', () => {
    expect(blockGaps([], 20, 8)).toEqual([[0, 20]]);
    expect(blockGaps(build([0, 20]), 20, 8)).toEqual([]);
    expect(blockGaps([], 0, 8)).toEqual([]);
  });

  it('widen a gap inside a block to the whole block, so a block stored in part is asked for again whole', () => {
    expect(blockGaps(build([0, 10], [15, 40]), 40, 8)).toEqual([[8, 16]]);
    // A gap across a boundary takes both blocks.
    expect(blockGaps(build([0, 6], [10, 40]), 40, 8)).toEqual([[0, 16]]);
  });

  it('end at the file’s size in its short last block', () => {
    expect(blockGaps(build([0, 33]), 37, 8)).toEqual([[32, 37]]);
    expect(blockGaps(build([0, 8]), 13, 8)).toEqual([[8, 13]]);
  });

  it('leave gaps already on block boundaries as they are', () => {
    expect(blockGaps(build([8, 16], [24, 32]), 37, 8)).toEqual([[0, 8], [16, 24], [32, 37]]);
  });

  it('merge gaps in the same block, and in blocks that meet, but keep those with a whole stored block between apart', () => {
    expect(blockGaps(build([0, 2], [4, 6]), 16, 8)).toEqual([[0, 16]]);
    expect(blockGaps(build([0, 3], [5, 11], [14, 24]), 24, 8)).toEqual([[0, 16]]);
    expect(blockGaps(build([0, 3], [5, 20], [22, 32]), 32, 8)).toEqual([[0, 8], [16, 24]]);
  });

  it('after a drop mid-block, ask again from that block’s start (a minimal request in whole blocks)', () => {
    const block = 256 * 1024;
    const size = 200 * 1024 * 1024;
    const gaps = blockGaps(build([0, 104_857_600 + 1000]), size, block);
    expect(gaps).toEqual([[104_857_600, size]]);
    expect(parseRangeList(JSON.parse(JSON.stringify(gaps)))).toEqual(gaps);
  });
});
