import { describe, expect, it } from 'vitest';
import {
  endOf,
  endsAfterDownload,
  EXPIRIES,
  expiresAt,
  isExpiry,
  noteReceiver,
  stageOf,
  untilExpiry,
  type ShareLife,
} from '../../app/src/transfer/share-life.ts';
import { wholeMinutes } from '../../app/src/format/time-span.ts';
import { en } from '../../app/src/ui/i18n/en.ts';
import { ru } from '../../app/src/ui/i18n/ru.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A fake clock: the moment the expiry was chosen. */
const CHOSEN = Date.UTC(2026, 0, 1, 12, 0);

describe('the expiry choices', () => {
  it('are exactly the select’s values, and nothing else passes for one', () => {
    expect(EXPIRIES).toEqual(['never', '1h', '1d', '7d', 'first-download']);
    for (const value of EXPIRIES) expect(isExpiry(value)).toBe(true);
    for (const value of ['', '2h', 'toString', '__proto__', null, 1]) expect(isExpiry(value)).toBe(false);
  });
});

describe('a link that expires after a time', () => {
  it.each([
    ['1h', HOUR],
    ['1d', DAY],
    ['7d', 7 * DAY],
  ] as const)('%s counts from when it was chosen, by the wall clock', (kind, lifetime) => {
    const life: ShareLife = { expiry: { kind, from: CHOSEN } };
    expect(expiresAt(life)).toBe(CHOSEN + lifetime);
    expect(untilExpiry(life, CHOSEN + MINUTE)).toBe(lifetime - MINUTE);
    expect(stageOf(life, CHOSEN + lifetime - 1)).toEqual({ stage: 'live' });
    // A laptop that slept through the moment finds the link expired when it wakes, as of the moment it fell due.
    expect(stageOf(life, CHOSEN + lifetime + 3 * DAY)).toEqual({ stage: 'ended', end: { reason: 'expired', at: CHOSEN + lifetime } });
    expect(untilExpiry(life, CHOSEN + lifetime + DAY)).toBe(0);
  });

  it('never, or after the first download, is not by the clock', () => {
    for (const kind of ['never', 'first-download'] as const) {
      const life: ShareLife = { expiry: { kind, from: CHOSEN } };
      expect(expiresAt(life)).toBeNull();
      expect(untilExpiry(life, CHOSEN + 365 * DAY)).toBeNull();
      expect(endOf(life, CHOSEN + 365 * DAY)).toBeNull();
    }
    expect(stageOf({}, CHOSEN)).toEqual({ stage: 'live' });
  });

  it('chosen anew, counts from the new choice', () => {
    const later = CHOSEN + 50 * MINUTE;
    expect(untilExpiry({ expiry: { kind: '1h', from: later } }, CHOSEN + 59 * MINUTE)).toBe(51 * MINUTE);
  });
});

describe('a link that ended', () => {
  it('stays ended for the reason recorded, whatever the clock says', () => {
    const life: ShareLife = { expiry: { kind: '1h', from: CHOSEN }, ended: { reason: 'stopped', at: CHOSEN + MINUTE } };
    expect(stageOf(life, CHOSEN + 2 * HOUR)).toEqual({ stage: 'ended', end: { reason: 'stopped', at: CHOSEN + MINUTE } });
    expect(untilExpiry(life, CHOSEN)).toBeNull();
  });

  it('ends after a download only while it has not ended already', () => {
    expect(endsAfterDownload({ expiry: { kind: 'first-download', from: CHOSEN } })).toBe(true);
    expect(endsAfterDownload({ expiry: { kind: 'first-download', from: CHOSEN }, ended: { reason: 'expired', at: CHOSEN } })).toBe(false);
    expect(endsAfterDownload({ expiry: { kind: '1h', from: CHOSEN } })).toBe(false);
    expect(endsAfterDownload({})).toBe(false);
  });

  it('is ended rather than finished even when everyone finished', () => {
    const life: ShareLife = { ended: { reason: 'expired', at: CHOSEN }, receivers: [{ session: 'a', done: true }] };
    expect(stageOf(life, CHOSEN).stage).toBe('ended');
  });
});

describe('a share whose receivers finished', () => {
  it('is finished once every receiver that started has every file, and at least one did', () => {
    expect(stageOf({ receivers: [] }, CHOSEN)).toEqual({ stage: 'live' });
    expect(stageOf({ receivers: [{ session: 'a', done: true }, { session: 'b', done: false }] }, CHOSEN)).toEqual({ stage: 'live' });
    expect(stageOf({ receivers: [{ session: 'a', done: true }, { session: 'b', done: true }] }, CHOSEN)).toEqual({ stage: 'finished', receivers: 2 });
  });

  it('counts each receiver once, by its name, and a finished one stays finished', () => {
    let list = noteReceiver([], 'a', false)!;
    expect(list).toEqual([{ session: 'a', done: false }]);
    expect(noteReceiver(list, 'a', false)).toBeNull();
    list = noteReceiver(list, 'b', false)!;
    list = noteReceiver(list, 'a', true)!;
    expect(list).toEqual([
      { session: 'a', done: true },
      { session: 'b', done: false },
    ]);
    expect(noteReceiver(list, 'a', false)).toBeNull();
    expect(noteReceiver(list, 'a', true)).toBeNull();
    // A receiver first seen when it is already done (a resumed one, say) is counted as done.
    expect(noteReceiver(list, 'c', true)).toContainEqual({ session: 'c', done: true });
  });
});

describe('what the share card says of the expiry', () => {
  it('counts down in whole units, in both languages', () => {
    const left = (ms: number) => wholeMinutes(ms);
    expect(en.send.expiresIn(left(HOUR - 1000))).toBe('Expires in 59 minutes');
    expect(en.send.expiresIn(left(DAY - 1000))).toBe('Expires in 23 hours 59 minutes');
    expect(en.send.expiresIn(left(7 * DAY - 1000))).toBe('Expires in 6 days 23 hours');
    expect(en.send.expiresIn(left(2 * DAY + 5 * MINUTE))).toBe('Expires in 2 days');
    expect(en.send.expiresIn(left(MINUTE + 59_000))).toBe('Expires in 1 minute');
    expect(en.send.expiresIn(left(59_000))).toBe('Expires in less than a minute');
    expect(en.send.expiresIn(left(-5000))).toBe('Expires in less than a minute');
    expect(ru.send.expiresIn(left(HOUR - 1000))).toBe('Перестанет работать через 59 минут');
    expect(ru.send.expiresIn(left(DAY - 1000))).toBe('Перестанет работать через 23 часа 59 минут');
    expect(ru.send.expiresIn(left(21 * HOUR + MINUTE))).toBe('Перестанет работать через 21 час 1 минуту');
    expect(ru.send.expiresIn(left(7 * DAY - 1000))).toBe('Перестанет работать через 6 дней 23 часа');
    expect(ru.send.sentTo(2)).toBe('Отправлено 2 получателям');
    expect(ru.send.sentTo(1)).toBe('Отправлено 1 получателю');
    expect(en.send.sentTo(2)).toBe('Sent to 2 receivers');
  });
});
