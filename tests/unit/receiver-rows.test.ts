import { describe, expect, it } from 'vitest';
import { MAX_ROWS, ReceiverRows } from '../../app/src/session/receiver-rows.ts';
import type { SenderSnapshot } from '../../app/src/transfer/sender.ts';

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
    rows.show('a', snapshot('Chrome 131 on Android'), null);
    rows.show('b', snapshot('Chrome 131 on Android'), null);
    rows.show('c', snapshot('Safari 18 on iOS'), null);
    rows.show('d', snapshot('Chrome 131 on Android'), null);
    rows.show('e', snapshot(null), null);
    // The first one comes back on a new connection.
    rows.show('a', snapshot('Chrome 131 on Android', 'transferring'), null);
    expect(rows.all.map((row) => row.device)).toEqual(['Chrome 131 on Android', 'Chrome 131 on Android (2)', 'Safari 18 on iOS', 'Chrome 131 on Android (3)', null]);
  });

  it('are at most MAX_ROWS: the oldest of those no longer connected makes way', () => {
    const rows = new ReceiverRows();
    rows.show('first', snapshot(null, 'transferring'), null);
    for (let at = 1; at < MAX_ROWS; at++) rows.show(`gone-${at}`, snapshot(null, 'password'), null);
    for (let at = 1; at < MAX_ROWS; at++) rows.show(`gone-${at}`, snapshot(null, 'ended'), null);
    rows.show('new', snapshot(null), null);
    rows.show('newer', snapshot(null), null);
    expect(rows.all).toHaveLength(MAX_ROWS);
    expect(rows.all.map((row) => row.id).slice(0, 2)).toEqual(['first', 'gone-3']);
    expect(rows.all.at(-1)?.number).toBe(MAX_ROWS + 2);
  });
});
