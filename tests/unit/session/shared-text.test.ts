/**
 * A text shared beside the files, or alone: bounded and typed on the wire
 * (messages.ts), carried in the manifest and held to on resuming (pins.ts), kept in
 * the sender's share record and in the sent history.
 */
import { describe, expect, it } from 'vitest';
import { noteSent } from '../../../app/src/session/sent-record.ts';
import { ShareKeeper, TextTooLongError, type ShareRecords } from '../../../app/src/session/share-keeper.ts';
import type { ShareRecord } from '../../../app/src/session/share-record.ts';
import { MAX_TEXT_BYTES, parseControl, textTooLong } from '../../../app/src/transfer/messages.ts';
import { textChanged, textLabel } from '../../../app/src/transfer/pins.ts';
import { detailsOf, firstLine } from '../../../app/src/ui/history.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { FakeBroker, FakeConnection, receive } from '../support/fake-broker.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { randomFile, wire } from '../support/transfer-harness.ts';

/** Non-ASCII, lines, a tab and an address: what people paste. */
const NOTE = 'Wi-Fi «Дача» — пароль: k7 Ü!\n\tsee https://example.org/a?b=1\n';

const manifest = (body: Record<string, unknown>) => parseControl('manifest', { files: [], ...body });

describe('the text in a manifest', () => {
  it('is taken as sent, whitespace and all', () => {
    expect(manifest({ text: NOTE })).toEqual({ type: 'manifest', files: [], text: NOTE });
    expect(manifest({})).toEqual({ type: 'manifest', files: [] });
  });

  it('must be a string of 1 to 64 KiB of UTF-8, counted in bytes, not characters', () => {
    expect(MAX_TEXT_BYTES).toBe(64 * 1024);
    expect(manifest({ text: 'a'.repeat(MAX_TEXT_BYTES) }).type).toBe('manifest');
    // 21,845 three-byte characters and one more byte: exactly the limit.
    expect(manifest({ text: `${'€'.repeat(21_845)}a` }).type).toBe('manifest');
    for (const text of [42, null, ['a'], '', 'a'.repeat(MAX_TEXT_BYTES + 1), '€'.repeat(21_846)]) {
      expect(() => manifest({ text }), JSON.stringify(text).slice(0, 20)).toThrow(/text must be/);
    }
  });

  it('is too long to share past the same bound, a lone surrogate counting as the U+FFFD it becomes', () => {
    expect(textTooLong('€'.repeat(21_845))).toBe(false);
    expect(textTooLong('€'.repeat(21_846))).toBe(true);
    expect(textTooLong('\uD800'.repeat(21_846))).toBe(true);
    expect(textTooLong('😀'.repeat(MAX_TEXT_BYTES / 4))).toBe(false);
    expect(textTooLong('😀'.repeat(MAX_TEXT_BYTES / 4 + 1))).toBe(true);
  });
});

describe('a text between a sender and a receiver', () => {
  it('comes with the list of files, before any byte of them', async () => {
    const run = wire([randomFile('photo.jpg', 3000)], { text: NOTE, autoDownload: false });
    await expect.poll(() => run.receiver.snapshot.state).toBe('waiting');
    expect(run.receiver.snapshot).toMatchObject({ text: NOTE, files: [{ name: 'photo.jpg' }], progress: { bytes: 0 } });
    expect(run.sender.snapshot.sentBytes).toBe(0);
    await run.receiver.download();
    expect((await run.settled).receiver).toMatchObject({ state: 'done', text: NOTE });
  });

  it('alone, with no files, is all there is: the receiver is done at once', async () => {
    const { settled } = wire([], { text: NOTE });
    const { sender, receiver } = await settled;
    expect(receiver).toMatchObject({ state: 'done', text: NOTE, files: [] });
    expect(sender.state).toBe('done');
  });

  it.each([
    ['another text', 'old words', 'new words', ['“old words”']],
    ['a text where there was none', null, 'new words', ['“new words”']],
    ['no text where there was one', 'old words', undefined, ['“old words”']],
  ] as const)('held to on resuming: %s is a change, and nothing of it is shown', async (_, pinnedText, text, changed) => {
    const { settled } = wire([randomFile('a.bin', 100)], { pinnedText, ...(text && { text }) });
    const { sender, receiver } = await settled;
    expect(receiver).toMatchObject({ state: 'error', filesChanged: changed, failure: { code: 'files-changed', files: changed }, text: null });
    expect(sender.state).toBe('error');
  });

  it('held to on resuming: the same text, or a new transfer, goes on', async () => {
    for (const pinnedText of [NOTE, undefined]) {
      const { receiver } = await wire([randomFile('a.bin', 100)], { text: NOTE, pinnedText }).settled;
      expect(receiver).toMatchObject({ state: 'done', text: NOTE });
    }
  });
});

describe('pins of a text', () => {
  it('a new transfer takes any text; a resumed one only the one it began with', () => {
    expect(textChanged(undefined, 'a')).toBe(false);
    expect(textChanged(null, null)).toBe(false);
    expect(textChanged('a', 'a')).toBe(false);
    expect(textChanged('a', 'a ')).toBe(true);
    expect(textChanged(null, 'a')).toBe(true);
    expect(textChanged('a', null)).toBe(true);
  });

  it('names a changed text by its first line, cut short', () => {
    expect(textLabel('\n  Wi-Fi password  \nsecond')).toBe('“Wi-Fi password”');
    expect(textLabel('x'.repeat(100))).toBe(`“${'x'.repeat(39)}…”`);
  });
});

/** Records kept as IndexedDB keeps them: a copy of what each save was given. */
class MemoryRecords implements ShareRecords {
  saved: ShareRecord | undefined;
  async load() {
    return this.saved && structuredClone(this.saved);
  }
  async save(record: ShareRecord) {
    this.saved = structuredClone(record);
  }
  async delete() {
    this.saved = undefined;
  }
}

function keeper(records: MemoryRecords, broker = new FakeBroker()) {
  let tokens = 0;
  return new ShareKeeper({ records, broker, newBrokerToken: () => `token-${++tokens}`, origin: 'https://ferry.test', clock: new ManualClock(), onchange: () => {} });
}

describe('a share with a text', () => {
  const OPEN = { password: '', askFirst: false };

  it('keeps it in its record, shows it, and sends it to receivers', async () => {
    const records = new MemoryRecords();
    const broker = new FakeBroker();
    const sharing = keeper(records, broker);
    await sharing.start([randomFile('a.bin', 10)], OPEN, NOTE);
    expect(records.saved!.text).toBe(NOTE);
    expect(sharing.state).toMatchObject({ status: 'online', text: NOTE });
    const got = await receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!).settled;
    expect(got).toMatchObject({ state: 'done', text: NOTE });
    sharing.close();
  });

  it('keeps none when none was typed', async () => {
    const records = new MemoryRecords();
    const sharing = keeper(records);
    await sharing.start([randomFile('a.bin', 10)], OPEN);
    expect(records.saved).not.toHaveProperty('text');
    expect(sharing.state.text).toBeNull();
    sharing.close();
  });

  it('survives a reload; a text alone needs no files added again and goes on at once', async () => {
    const records = new MemoryRecords();
    const before = keeper(records);
    await before.start([], OPEN, NOTE);
    before.close();
    const broker = new FakeBroker();
    const after = keeper(records, broker);
    await after.restore();
    expect(after.state).toMatchObject({ status: 'online', text: NOTE, missing: [] });
    const got = await receive(broker.peer.offer(new FakeConnection()).opens(), records.saved!).settled;
    expect(got).toMatchObject({ state: 'done', text: NOTE, files: [] });
    after.close();
  });

  it('with files, after a reload, is shown while the files are asked for again', async () => {
    const records = new MemoryRecords();
    const before = keeper(records);
    await before.start([randomFile('a.bin', 10)], OPEN, NOTE);
    before.close();
    const after = keeper(records);
    await after.restore();
    expect(after.state).toMatchObject({ status: 'needs-files', text: NOTE });
  });

  it('over 64 KiB is refused before anything starts, and the share before it stays', async () => {
    const records = new MemoryRecords();
    const sharing = keeper(records);
    await sharing.start([randomFile('a.bin', 10)], OPEN);
    const kept = records.saved;
    await expect(sharing.start([], OPEN, '€'.repeat(21_846))).rejects.toBeInstanceOf(TextTooLongError);
    expect(records.saved).toBe(kept);
    expect(sharing.state.status).toBe('online');
    sharing.close();
  });
});

describe('the sent history', () => {
  it('keeps the text of a share beside its names and sizes', () => {
    const files = [{ name: 'a.bin', size: 10 }];
    const record = noteSent(undefined, 'share', { files, text: NOTE }, { kind: 'ended', reason: 'stopped' }, 5)!;
    expect(record).toMatchObject({ files, text: NOTE, total: 10 });
    expect(noteSent(undefined, 'share', { files, text: null }, { kind: 'ended', reason: 'stopped' }, 5)).not.toHaveProperty('text');
  });
});

describe('a text in the home page’s history', () => {
  it('shows its first line, and no size for a text alone', () => {
    expect(firstLine('\n  \n  Wi-Fi «Дача»  \nsecond')).toBe('Wi-Fi «Дача»');
    expect(firstLine('x'.repeat(100))).toBe(`${'x'.repeat(79)}…`);
    const record = { id: 's', files: [], text: NOTE, total: 0, receivers: [], createdAt: 0, updatedAt: 0 };
    expect(detailsOf({ direction: 'sent', key: 's/s', at: 0, record }, en).slice(0, 2)).toEqual(['Shared', 'nobody downloaded it']);
  });
});
