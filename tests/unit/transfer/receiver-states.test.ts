/**
 * Which message a receiver takes in which state, walked as a table: every state against
 * everything a sender could send, each verdict written out here, apart from the code.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../app/src/transfer/errors.ts';
import type { Message } from '../../../app/src/transfer/messages.ts';
import { checkHeard, LEGAL_IN, legal, RECEIVER_STATES, type Heard, type ReceiverState } from '../../../app/src/transfer/receiver-states.ts';

/** "state <- heard" for every pair a receiver takes; every pair not here it refuses. */
const TAKES = new Set([
  'connecting <- manifest',
  'password <- manifest',
  'approval <- manifest',
  'connecting <- gate:password',
  'password <- gate:password',
  'approval <- gate:password',
  'connecting <- gate:approval',
  'password <- gate:approval',
  'transferring <- data',
  'transferring <- files',
  'transferring <- file-end',
  'connecting <- ended',
  'password <- ended',
  'approval <- ended',
  'waiting <- ended',
  'transferring <- ended',
  'verifying <- ended',
  'done <- ended',
]);

/** One message of each kind a receiver's session can hear. */
const SAMPLES: Record<Heard, Message> = {
  manifest: { type: 'manifest', files: [] },
  'gate:password': { type: 'gate', need: 'password' },
  'gate:approval': { type: 'gate', need: 'approval' },
  data: { type: 'data', file: 0, offset: 0, payload: new Uint8Array(1) },
  files: { type: 'files', files: [] },
  'file-end': { type: 'file-end', file: 0, sha256: '0'.repeat(64) },
  ended: { type: 'ended', reason: 'stopped' },
  password: { type: 'password', proof: 'AAAA' },
  request: { type: 'request', ranges: [], stored: 0, total: 0 },
  receipt: { type: 'receipt', verified: [], failed: [] },
  done: { type: 'done' },
};

const HEARD = Object.keys(LEGAL_IN) as Heard[];
const PAIRS = RECEIVER_STATES.flatMap((state) => HEARD.map((heard): [ReceiverState, Heard] => [state, heard]));

describe('the receiver’s state table', () => {
  it('names every state and everything a session hears', () => {
    expect(PAIRS).toHaveLength(9 * 11);
    expect(Object.keys(SAMPLES).sort()).toEqual([...HEARD].sort());
  });

  it.each(PAIRS)('%s <- %s', (state, heard) => {
    const takes = TAKES.has(`${state} <- ${heard}`);
    expect(legal(state, heard)).toBe(takes);
    const check = () => checkHeard(state, SAMPLES[heard]);
    if (takes) expect(check).not.toThrow();
    else expect(check).toThrow(ProtocolError);
  });

  it('lists no pair it does not know', () => {
    const known = new Set(PAIRS.map(([state, heard]) => `${state} <- ${heard}`));
    expect([...TAKES].filter((pair) => !known.has(pair))).toEqual([]);
  });

  it('says why a message is refused', () => {
    expect(() => checkHeard('transferring', SAMPLES.request)).toThrow('a sender does not send request');
    expect(() => checkHeard('approval', SAMPLES['gate:approval'])).toThrow('a approval gate while approval');
    expect(() => checkHeard('waiting', SAMPLES.manifest)).toThrow('manifest while waiting');
    expect(() => checkHeard('done', SAMPLES.data)).toThrow('data while done');
  });

  it('ends a session that hears a message from the receiver’s own side, whatever its state', () => {
    for (const state of RECEIVER_STATES) {
      for (const heard of ['password', 'request', 'receipt', 'done'] as const) expect(legal(state, heard)).toBe(false);
    }
  });
});
