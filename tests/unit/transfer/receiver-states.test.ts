/**
 * Which message a receiver takes in which state, walked as a table: every state against
 * everything a sender could send, each verdict written out here, apart from the code.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../app/src/transfer/errors.ts';
import type { Message } from '../../../app/src/transfer/messages.ts';
import { checkLegal, LEGAL_IN, legal, RECEIVER_STATES, type SenderMessageKind, type ReceiverState } from '../../../app/src/transfer/receiver-states.ts';

/** "state <- kind of message" for every pair a receiver takes; every pair not here it refuses. */
const TAKES = new Set([
  'connecting <- manifest',
  'password <- manifest',
  'approval <- manifest',
  'connecting <- gate:password',
  'password <- gate:password',
  'approval <- gate:password',
  'connecting <- gate:approval',
  'password <- gate:approval',
  'transferring <- root',
  'transferring <- block',
  'transferring <- data',
  'transferring <- files',
  'transferring <- file-end',
  'waiting <- lane-answer',
  'transferring <- lane-answer',
  'done <- lane-answer',
  'connecting <- ended',
  'password <- ended',
  'approval <- ended',
  'waiting <- ended',
  'transferring <- ended',
  'done <- ended',
]);

/** One message of each kind a receiver's session can hear. */
const SAMPLES: Record<SenderMessageKind, Message> = {
  manifest: { type: 'manifest', files: [] },
  'gate:password': { type: 'gate', need: 'password' },
  'gate:approval': { type: 'gate', need: 'approval' },
  root: { type: 'root', file: 0, root: '0'.repeat(64) },
  block: { type: 'block', file: 0, index: 0, hash: new Uint8Array(32), proof: [] },
  data: { type: 'data', file: 0, offset: 0, payload: new Uint8Array(1) },
  files: { type: 'files', files: [] },
  'file-end': { type: 'file-end', file: 0 },
  ended: { type: 'ended', reason: 'stopped' },
  password: { type: 'password', proof: 'AAAA' },
  request: { type: 'request', ranges: [], stored: 0, total: 0 },
  receipt: { type: 'receipt', verified: [], failed: [] },
  done: { type: 'done' },
  'lane-offer': { type: 'lane-offer', lane: 1, sdp: 'v=0' },
  'lane-answer': { type: 'lane-answer', lane: 1, sdp: 'v=0' },
};

const KINDS = Object.keys(LEGAL_IN) as SenderMessageKind[];
const PAIRS = RECEIVER_STATES.flatMap((state) => KINDS.map((kind): [ReceiverState, SenderMessageKind] => [state, kind]));

describe('the receiver’s state table', () => {
  it('names every state and everything a session hears', () => {
    expect(PAIRS).toHaveLength(8 * 15);
    expect(Object.keys(SAMPLES).sort()).toEqual([...KINDS].sort());
  });

  it.each(PAIRS)('%s <- %s', (state, kind) => {
    const takes = TAKES.has(`${state} <- ${kind}`);
    expect(legal(state, kind)).toBe(takes);
    const check = () => checkLegal(state, SAMPLES[kind]);
    if (takes) expect(check).not.toThrow();
    else expect(check).toThrow(ProtocolError);
  });

  it('lists no pair it does not know', () => {
    const known = new Set(PAIRS.map(([state, kind]) => `${state} <- ${kind}`));
    expect([...TAKES].filter((pair) => !known.has(pair))).toEqual([]);
  });

  it('says why a message is refused', () => {
    expect(() => checkLegal('transferring', SAMPLES.request)).toThrow('a sender does not send request');
    expect(() => checkLegal('approval', SAMPLES['gate:approval'])).toThrow('a approval gate while approval');
    expect(() => checkLegal('waiting', SAMPLES.manifest)).toThrow('manifest while waiting');
    expect(() => checkLegal('done', SAMPLES.data)).toThrow('data while done');
    expect(() => checkLegal('waiting', SAMPLES.block)).toThrow('block while waiting');
    expect(() => checkLegal('done', SAMPLES.root)).toThrow('root while done');
  });

  it('ends a session that hears a message from the receiver’s own side, whatever its state', () => {
    for (const state of RECEIVER_STATES) {
      for (const kind of ['password', 'request', 'receipt', 'done'] as const) expect(legal(state, kind)).toBe(false);
    }
  });
});
