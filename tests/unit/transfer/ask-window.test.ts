import { describe, expect, it } from 'vitest';
import { AskPlan, AskWindow, MAX_ASKED } from '../../../app/src/transfer/ask-window.ts';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import type { FileRange } from '../../../app/src/transfer/messages.ts';

/** Each range starts on a block boundary and ends on one or at the file's end: every block is asked for whole. */
function expectWholeBlocks(ranges: FileRange[], blockSize: number, size: number): void {
  for (const { start, end } of ranges) {
    expect(start % blockSize, `${start} on a block boundary`).toBe(0);
    expect(end % blockSize === 0 || end === size, `${end} on a block boundary or the file's end`).toBe(true);
    expect(end).toBeGreaterThan(start);
  }
}

/** `ranges` with each joined to the one before where it goes on in the same file: what is asked for, however it is cut. */
function joined(ranges: FileRange[]): FileRange[] {
  const out: FileRange[] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last && last.file === range.file && last.end === range.start) last.end = range.end;
    else out.push({ ...range });
  }
  return out;
}

describe('the ranges a receiver asks for', () => {
  it('fill one window, and no more is asked until a third of it has arrived', () => {
    const plan = new AskPlan();
    const window = new AskWindow(300, plan, 100);
    plan.plan([{ file: 0, start: 0, end: 1000 }]);
    expect(window.topUp()).toEqual([{ file: 0, start: 0, end: 300 }]);
    window.arrived(99);
    expect(window.topUp()).toEqual([]);
    window.arrived(1);
    expect(window.topUp()).toEqual([{ file: 0, start: 300, end: 400 }]);
    expect(window.askedBytes).toBe(300);
  });

  it('cut a range longer than the room left at a block boundary, at least one block in, and ask for a file’s short last block whole', () => {
    const size = 1000;
    const plan = new AskPlan();
    const window = new AskWindow(300, plan, 128);
    plan.plan([{ file: 0, start: 0, end: size }]);
    const topUp = () => {
      const ranges = window.topUp();
      expectWholeBlocks(ranges, 128, size);
      // Over the window by less than a block, never more.
      expect(window.askedBytes).toBeLessThan(300 + 128);
      return joined(ranges);
    };
    // 300 bytes of room, not a whole number of blocks: three blocks, not two and a part of one.
    expect(topUp()).toEqual([{ file: 0, start: 0, end: 384 }]);
    window.arrived(200);
    // 116 bytes of room, less than a block but the window not two thirds full: one whole block.
    expect(topUp()).toEqual([{ file: 0, start: 384, end: 512 }]);
    expect(window.askedBytes).toBe(312);
    window.arrived(312);
    expect(topUp()).toEqual([{ file: 0, start: 512, end: 896 }]);
    window.arrived(384);
    // The file ends 104 bytes into its last block, which is asked for up to that end.
    expect(topUp()).toEqual([{ file: 0, start: 896, end: 1000 }]);
    expect(window.askedBytes).toBe(104);
  });

  it('ask for a whole block of BLOCK_SIZE even when the window is smaller than one', () => {
    const plan = new AskPlan();
    const window = new AskWindow(BLOCK_SIZE / 4, plan);
    plan.plan([{ file: 3, start: BLOCK_SIZE, end: 5 * BLOCK_SIZE }]);
    expect(window.topUp()).toEqual([{ file: 3, start: BLOCK_SIZE, end: 2 * BLOCK_SIZE }]);
    expect(window.topUp()).toEqual([]);
  });

  it('count empty ranges (an empty file, a file’s end alone) against MAX_ASKED, which costs them no bytes', () => {
    const plan = new AskPlan();
    const window = new AskWindow(300, plan);
    plan.plan(Array.from({ length: MAX_ASKED + 5 }, (_, file) => ({ file, start: 0, end: 0 })));
    expect(window.topUp()).toHaveLength(MAX_ASKED);
    expect(window.topUp()).toEqual([]);
    for (let answered = 0; answered < MAX_ASKED / 3 + 1; answered++) window.answered();
    expect(window.topUp().map(({ file }) => file)).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it('asks for a file fetched again before anything planned, and is empty once all is answered', () => {
    const plan = new AskPlan();
    const window = new AskWindow(10, plan);
    plan.plan([{ file: 1, start: 0, end: 4 }]);
    plan.first([{ file: 0, start: 0, end: 4 }]);
    expect(window.topUp()).toEqual([{ file: 0, start: 0, end: 4 }, { file: 1, start: 0, end: 4 }]);
    expect(window.next).toEqual({ file: 0, start: 0, end: 4, at: 0 });
    expect(window.waiting).toBe(true);
    window.answered();
    window.answered();
    expect({ empty: plan.empty, waiting: window.waiting }).toEqual({ empty: true, waiting: false });
  });

  it('share one plan between lanes, each window asking on its own, and leave a file a lane may not take to another', () => {
    const plan = new AskPlan();
    const [first, second] = [new AskWindow(300, plan, 100), new AskWindow(300, plan, 100)];
    plan.plan([
      { file: 0, start: 0, end: 500 },
      { file: 1, start: 0, end: 500 },
    ]);
    expect(first.topUp()).toEqual([{ file: 0, start: 0, end: 300 }]);
    // File 1's root is not known: the second lane takes what is left of file 0 and stops there.
    expect(second.topUp((file) => file === 0)).toEqual([{ file: 0, start: 300, end: 500 }]);
    expect(second.awaitsEnd(0, 500)).toBe(true);
    expect(first.awaitsEnd(0, 500)).toBe(false);
    expect(second.topUp((file) => file === 0)).toEqual([]);
    first.arrived(300);
    first.answered();
    expect(first.topUp()).toEqual([{ file: 1, start: 0, end: 300 }]);
  });

  it('asks for no more than its new size once resized (a lane joined), keeping what it asked', () => {
    const plan = new AskPlan();
    const window = new AskWindow(300, plan, 100);
    plan.plan([{ file: 0, start: 0, end: 1000 }]);
    expect(window.topUp()).toEqual([{ file: 0, start: 0, end: 300 }]);
    window.resize(100);
    window.arrived(200);
    // 100 still asked: the new size is spent, nothing more until it arrives.
    expect(window.topUp()).toEqual([]);
    window.arrived(100);
    expect(window.topUp()).toEqual([{ file: 0, start: 300, end: 400 }]);
  });
});
