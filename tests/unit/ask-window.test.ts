import { describe, expect, it } from 'vitest';
import { AskWindow, MAX_ASKED } from '../../app/src/transfer/ask-window.ts';

describe('the ranges a receiver asks for', () => {
  it('fill one window, and no more is asked until a third of it has arrived', () => {
    const window = new AskWindow(300);
    window.plan([{ file: 0, start: 0, end: 1000 }]);
    expect(window.topUp()).toEqual([{ file: 0, start: 0, end: 300 }]);
    window.arrived(99);
    expect(window.topUp()).toEqual([]);
    window.arrived(2);
    expect(window.topUp()).toEqual([{ file: 0, start: 300, end: 401 }]);
    expect(window.askedBytes).toBe(300);
  });

  it('count empty ranges (an empty file, a hash alone) against MAX_ASKED, which costs them no bytes', () => {
    const window = new AskWindow(300);
    window.plan(Array.from({ length: MAX_ASKED + 5 }, (_, file) => ({ file, start: 0, end: 0 })));
    expect(window.topUp()).toHaveLength(MAX_ASKED);
    expect(window.topUp()).toEqual([]);
    for (let answered = 0; answered < MAX_ASKED / 3 + 1; answered++) window.answered();
    expect(window.topUp().map(({ file }) => file)).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it('asks for a file fetched again before anything planned, and is empty once all is answered', () => {
    const window = new AskWindow(10);
    window.plan([{ file: 1, start: 0, end: 4 }]);
    window.first([{ file: 0, start: 0, end: 4 }]);
    expect(window.topUp()).toEqual([{ file: 0, start: 0, end: 4 }, { file: 1, start: 0, end: 4 }]);
    expect(window.next).toEqual({ file: 0, start: 0, end: 4, at: 0 });
    expect(window.empty).toBe(false);
    window.answered();
    window.answered();
    expect({ empty: window.empty, waiting: window.waiting }).toEqual({ empty: true, waiting: false });
  });
});
