import { describe, expect, it } from 'vitest';
import { MAX_ROWS, ReceiverRows } from '../../../app/src/session/receiver-rows.ts';
import type { SenderSnapshot } from '../../../app/src/transfer/sender.ts';

const snapshot = (device: string | null, state: SenderSnapshot['state'] = 'waiting'): SenderSnapshot => ({
  state,
  progress: { bytes: 0, total: 10, rate: 0, eta: null },
  sentBytes: 0,
  filesConfirmed: 0,
  receiverKey: null,
  device,
  held: false,
  ended: null,
  failure: null,
  error: null,
});

describe('the receivers a sender sees', () => {
  it('are told apart when their devices describe themselves alike, and keep their names when they reconnect', () => {
    const rows = new ReceiverRows();
    rows.show('a', 'a', snapshot('Chrome 131 on Android'), null);
    rows.show('b', 'b', snapshot('Chrome 131 on Android'), null);
    rows.show('c', 'c', snapshot('Safari 18 on iOS'), null);
    rows.show('d', 'd', snapshot('Chrome 131 on Android'), null);
    rows.show('e', 'e', snapshot(null), null);
    // The first one comes back on a new connection.
    rows.show('a', 'a again', snapshot('Chrome 131 on Android', 'transferring'), null);
    expect(rows.all.map((row) => row.device)).toEqual(['Chrome 131 on Android', 'Chrome 131 on Android (2)', 'Safari 18 on iOS', 'Chrome 131 on Android (3)', null]);
  });

  it('are at most MAX_ROWS: the oldest of those no longer connected makes way', () => {
    const rows = new ReceiverRows();
    rows.show('first', 'first', snapshot(null, 'transferring'), null);
    for (let at = 1; at < MAX_ROWS; at++) rows.show(`gone-${at}`, `gone-${at}`, snapshot(null, 'password'), null);
    for (let at = 1; at < MAX_ROWS; at++) rows.show(`gone-${at}`, `gone-${at}`, snapshot(null, 'ended'), null);
    rows.show('new', 'new', snapshot(null), null);
    rows.show('newer', 'newer', snapshot(null), null);
    expect(rows.all).toHaveLength(MAX_ROWS);
    expect(rows.all.map((row) => row.id).slice(0, 2)).toEqual(['first', 'gone-3']);
    expect(rows.all.at(-1)?.number).toBe(MAX_ROWS + 2);
  });

  it('show a receiver’s latest connection: one it left behind, found dead after the next finished, changes nothing but the bytes sent', () => {
    const rows = new ReceiverRows();
    const sent = (state: SenderSnapshot['state'], sentBytes: number) => ({ ...snapshot('a terminal', state), sentBytes });
    // Killed half way: the sender does not know yet. The receiver runs again, with the same key, and finishes.
    rows.show('key', 'killed', sent('transferring', 5), null);
    rows.show('key', 'again', sent('transferring', 1), null);
    expect(rows.show('key', 'again', sent('done', 6), null)?.row.snapshot.state).toBe('done');
    // Now the first connection is found dead.
    expect(rows.show('key', 'killed', sent('error', 5), null, true)).toBeNull();
    expect(rows.all).toHaveLength(1);
    expect(rows.all[0]).toMatchObject({ snapshot: { state: 'done' }, left: false, sentBytes: 11 });
    // Forgotten once over: a third run starts from the bytes of both.
    rows.show('key', 'third', sent('transferring', 2), null);
    expect(rows.all[0]).toMatchObject({ snapshot: { state: 'transferring' }, sentBytes: 13 });
  });

  it('take a receiver’s next connection after one that ended, as it always did', () => {
    const rows = new ReceiverRows();
    rows.show('key', 'first', { ...snapshot(null, 'error'), sentBytes: 3 }, null, true);
    rows.show('key', 'first', { ...snapshot(null, 'transferring'), sentBytes: 3 }, null);
    rows.show('key', 'first', { ...snapshot(null, 'error'), sentBytes: 3 }, null, true);
    expect(rows.show('key', 'second', { ...snapshot(null, 'done'), sentBytes: 4 }, null)?.row).toMatchObject({ sentBytes: 7, left: false });
  });
});
