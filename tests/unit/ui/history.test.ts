/**
 * The home page's history: what a sent share's record becomes as receivers finish and
 * its link ends (session/sent-record.ts, sent-log.ts), how received and sent entries
 * are ordered, and how each is worded in both languages (ui/history.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ReceiverRow } from '../../../app/src/session/receiver-rows.ts';
import { SentLog } from '../../../app/src/session/sent-log.ts';
import { noteSent, overflow, type SentEvent, type SentFile, type SentRecord } from '../../../app/src/session/sent-record.ts';
import { IDLE, type ShareState } from '../../../app/src/session/share-keeper.ts';
import type { TransferRecord } from '../../../app/src/session/transfer-record.ts';
import { shareLink } from '../../../app/src/transfer/link.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';
import { detailsOf, historyOf, titleOf } from '../../../app/src/ui/history.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';

const FILES: SentFile[] = [
  { name: 'IMG_2041.jpg', size: 2_000_000 },
  { name: 'plan.pdf', size: 300_000 },
];
/** A share of FILES and no text. */
const SHARED = { files: FILES, text: null };
const phone = { session: 's1', device: 'Chrome 131 on Android' };

describe('a sent share’s record', () => {
  it('is made when a receiver finishes, with names and sizes only, and counts that receiver once', () => {
    const first = noteSent(undefined, 'share', SHARED, { kind: 'finished', receiver: phone }, 10)!;
    expect(first).toEqual({ id: 'share', files: FILES, total: 2_300_000, receivers: [phone], createdAt: 10, updatedAt: 10 });
    // The same receiver finishing again (after a reconnect) changes nothing.
    expect(noteSent(first, 'share', SHARED, { kind: 'finished', receiver: phone }, 20)).toBe(first);
    const second = noteSent(first, 'share', SHARED, { kind: 'finished', receiver: { session: 's2', device: null } }, 30)!;
    expect(second.receivers).toEqual([phone, { session: 's2', device: null }]);
    expect(second.createdAt).toBe(10);
  });

  it('keeps the first way its link ended', () => {
    const stopped = noteSent(undefined, 'share', SHARED, { kind: 'ended', reason: 'stopped' }, 10)!;
    expect(stopped).toMatchObject({ ended: 'stopped', receivers: [] });
    expect(noteSent(stopped, 'share', SHARED, { kind: 'ended', reason: 'expired' }, 20)).toBe(stopped);
  });

  it('is not made by an end found after a reload, which only completes a record that exists', () => {
    const found: SentEvent = { kind: 'ended', reason: 'expired', onlyIfKept: true };
    expect(noteSent(undefined, 'share', SHARED, found, 10)).toBeNull();
    const sent = noteSent(undefined, 'share', SHARED, { kind: 'finished', receiver: phone }, 10)!;
    expect(noteSent(sent, 'share', SHARED, found, 20)).toMatchObject({ ended: 'expired', receivers: [phone] });
  });

  it('beyond the newest few, the oldest go', () => {
    const records = [5, 1, 4, 2, 3].map((at) => noteSent(undefined, `share${at}`, SHARED, { kind: 'ended', reason: 'stopped' }, at)!);
    expect(overflow(records, 3).map((record) => record.id)).toEqual(['share2', 'share1']);
    expect(overflow(records, 5)).toEqual([]);
  });
});

const ORIGIN = 'https://ferry.example';
const address = (peerId: string) => ({ peerId, secret: 'A'.repeat(22), senderKey: 'B'.repeat(43) });
const linkOf = (peerId: string) => shareLink(ORIGIN, address(peerId));
const sources = (files: SentFile[]) => files.map((file) => ({ ...file, type: '', lastModified: 0 }) as FileSource);

function state(change: Partial<ShareState>): ShareState {
  return { ...IDLE, status: 'online', relay: false, now: 0, ...change };
}

const row = (id: string, device: string | null) => ({ id, number: 1, device }) as ReceiverRow;

/** A SentLog writing to a list. */
function log() {
  const notes: { id: string; files: readonly SentFile[]; event: SentEvent }[] = [];
  const sent = new SentLog(async (id, { files }, event) => void notes.push({ id, files, event }));
  return { sent, notes };
}

describe('what a share’s page notes for its history', () => {
  it('a receiver that finishes, then the link ending with that first download, in that order', async () => {
    const { sent, notes } = log();
    sent.changed(state({ files: sources(FILES) }));
    sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA1') }));
    sent.finished(row('s1', 'Chrome 131 on Android'));
    sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA1'), ended: { reason: 'expired', at: 5 } }));
    // Shown again, still ended: nothing more.
    sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA1'), ended: { reason: 'expired', at: 5 } }));
    await sent.settled();
    expect(notes).toEqual([
      { id: 'peerAAA1', files: FILES, event: { kind: 'finished', receiver: phone } },
      { id: 'peerAAA1', files: FILES, event: { kind: 'ended', reason: 'expired' } },
    ]);
  });

  it('leaving a share whose link still worked (other files, or a new share) counts as stopping it', async () => {
    const { sent, notes } = log();
    sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA1') }));
    sent.changed(state({}));
    sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA2'), ended: { reason: 'stopped', at: 1 } }));
    sent.changed(state({}));
    await sent.settled();
    // peer2 was first seen already ended; leaving it says nothing more.
    expect(notes.map(({ id, event }) => [id, event])).toEqual([
      ['peerAAA1', { kind: 'ended', reason: 'stopped' }],
      ['peerAAA2', { kind: 'ended', reason: 'stopped', onlyIfKept: true }],
    ]);
  });

  it('after a reload, takes the files from what is missing and keeps them once the share shows none', async () => {
    const { sent, notes } = log();
    const missing = sources(FILES);
    sent.changed(state({ link: linkOf('peerAAA1'), missing, status: 'needs-files' }));
    sent.changed(state({ link: linkOf('peerAAA1'), status: 'starting' }));
    sent.changed(state({ link: linkOf('peerAAA1'), ended: { reason: 'expired', at: 1 } }));
    await sent.settled();
    expect(notes).toEqual([{ id: 'peerAAA1', files: FILES, event: { kind: 'ended', reason: 'expired' } }]);
  });

  it('a note that cannot be written does not stop the next', async () => {
    const written: SentEvent[] = [];
    const sent = new SentLog(async (_id, _files, event) => {
      if (event.kind === 'finished') throw new Error('quota');
      written.push(event);
    });
    const warn = console.warn;
    console.warn = () => {};
    try {
      sent.changed(state({ files: sources(FILES), link: linkOf('peerAAA1') }));
      sent.finished(row('s1', null));
      sent.changed(state({}));
      await sent.settled();
    } finally {
      console.warn = warn;
    }
    expect(written).toEqual([{ kind: 'ended', reason: 'stopped' }]);
  });
});

function received(change: Partial<TransferRecord>): TransferRecord {
  return {
    id: 'r1',
    address: address('peerAAA9'),
    files: [{ name: 'IMG_2041.jpg', size: 2_000_000, type: '', lastModified: 0 }],
    stored: 2_000_000,
    done: true,
    saved: false,
    total: 2_000_000,
    createdAt: Date.UTC(2025, 2, 12, 14, 5),
    updatedAt: Date.UTC(2025, 2, 12, 14, 6),
    ...change,
  };
}

function sentRecord(change: Partial<SentRecord>): SentRecord {
  return { id: 'peerAAA1', files: FILES, total: 2_300_000, receivers: [phone], createdAt: Date.UTC(2025, 2, 13, 9, 30), updatedAt: 0, ...change };
}

describe('the history list', () => {
  it('puts received and sent together, newest first', () => {
    const list = historyOf(
      [received({ id: 'old', createdAt: 1 }), received({ id: 'new', createdAt: 30 })],
      [sentRecord({ id: 'mid', createdAt: 20 }), sentRecord({ id: 'newest', createdAt: 40 })],
    );
    expect(list.map((entry) => [entry.direction, entry.record.id])).toEqual([
      ['sent', 'newest'],
      ['received', 'new'],
      ['sent', 'mid'],
      ['received', 'old'],
    ]);
    // A share and a transfer may share an id: keys stay apart.
    expect(new Set(historyOf([received({ id: 'x' })], [sentRecord({ id: 'x' })]).map((entry) => entry.key)).size).toBe(2);
  });

  it('names the first file and counts the rest', () => {
    expect(titleOf(FILES, en)).toBe('IMG_2041.jpg and 1 more');
    expect(titleOf(FILES.slice(0, 1), ru)).toBe('IMG_2041.jpg');
  });

  const [date] = detailsOf({ direction: 'sent', key: '', at: Date.UTC(2025, 2, 12, 14, 5), record: sentRecord({}) }, en).slice(-1);
  const at = (record: TransferRecord) => ({ direction: 'received' as const, key: '', at: record.createdAt, record });

  it('says of a received entry its state, size, sender and date', () => {
    expect(detailsOf(at(received({ senderDevice: 'Chrome 131 on Linux' })), en)).toEqual([
      'Received',
      '2.0 MB',
      'from Chrome 131 on Linux (self-reported)',
      date,
    ]);
    expect(date).toMatch(/Mar 12, 2025/);
    expect(detailsOf(at(received({ done: false, stored: 1_150_000, ended: { reason: 'stopped', at: 0 } })), en).slice(0, -1)).toEqual([
      'Partly received: 57% of 2.0 MB',
      'the link no longer works',
    ]);
    // Saved files stay listed until deleted, and say they were saved.
    expect(detailsOf(at(received({ saved: true })), ru).slice(0, 2)).toEqual(['Получено и сохранено', '2,0 МБ']);
    expect(detailsOf(at(received({ senderDevice: 'Safari 18 on iOS' })), ru)[2]).toBe('отправитель: Safari 18 на iOS (с его слов)');
    expect(detailsOf(at(received({})), ru).at(-1)).toMatch(/12 мар(\.|та) 2025/);
  });

  it('says of a sent entry how it ended and who got every file', () => {
    const shown = (change: Partial<SentRecord>, t = en) => detailsOf({ direction: 'sent', key: '', at: 0, record: sentRecord(change) }, t).slice(0, 3);
    expect(shown({})).toEqual(['Sent', '2.3 MB', 'to Chrome 131 on Android (self-reported)']);
    expect(shown({ ended: 'stopped', receivers: [phone, { session: 's2', device: null }] })).toEqual([
      'Sent, then sharing stopped',
      '2.3 MB',
      'to 2 receivers',
    ]);
    expect(shown({ receivers: [{ session: 's2', device: null }], ended: 'expired' })).toEqual(['Sent, then the link expired', '2.3 MB', 'to 1 receiver']);
    expect(shown({ receivers: [], ended: 'stopped' })).toEqual(['Sharing stopped', '2.3 MB', 'nobody downloaded it']);
    expect(shown({}, ru)).toEqual(['Отправлено', '2,3 МБ', 'получатель: Chrome 131 на Android (со слов получателя)']);
    expect(shown({ receivers: [phone, phone, phone, phone, phone].map((r, i) => ({ ...r, session: `s${i}` })), ended: 'expired' }, ru)).toEqual([
      'Отправлено, затем срок ссылки истёк',
      '2,3 МБ',
      '5 получателям',
    ]);
    expect(shown({ receivers: [], ended: 'stopped' }, ru)[2]).toBe('никто не скачал');
  });
});
