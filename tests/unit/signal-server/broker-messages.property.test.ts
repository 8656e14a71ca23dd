// parseClientMessage against arbitrary input: it decides, it never throws, and what it
// lets through is safe to relay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BROKER_MESSAGE_BYTES, parseClientMessage } from '../../../signal-server/broker-messages.ts';
import { fuzzRuns } from '../support/fuzz-runs.ts';

const id = fc.stringMatching(/^[A-Za-z0-9]{1,20}(?:[ _-][A-Za-z0-9]{1,8}){0,2}$/);
const connectionId = fc.stringMatching(/^dc_[a-z0-9]{1,16}$/);
const sdp = (type: 'offer' | 'answer') => fc.record({ type: fc.constant(type), sdp: fc.string({ maxLength: 2000 }) });
const candidate = fc.record(
  { candidate: fc.string({ maxLength: 200 }), sdpMid: fc.option(fc.string({ maxLength: 4 })), sdpMLineIndex: fc.option(fc.nat(8)), usernameFragment: fc.option(fc.string({ maxLength: 8 })) },
  { requiredKeys: ['candidate'] },
);
const honest = fc.oneof(
  fc.constant({ type: 'HEARTBEAT' }),
  fc.record({ type: fc.constant('OFFER'), dst: id, payload: fc.record({ sdp: sdp('offer'), type: fc.constant('data'), connectionId, serialization: fc.constant('raw'), reliable: fc.boolean() }) }),
  fc.record({ type: fc.constant('ANSWER'), dst: id, payload: fc.record({ sdp: sdp('answer'), type: fc.constant('data'), connectionId }) }),
  fc.record({ type: fc.constant('CANDIDATE'), dst: id, payload: fc.record({ candidate, type: fc.constant('data'), connectionId }) }),
);

/** Whatever is accepted can be serialised again, small, and names a destination we checked. */
function safeToRelay(text: string): void {
  const message = parseClientMessage(text);
  if (message === null) return;
  const again = JSON.stringify(message);
  expect(again.length).toBeLessThanOrEqual(MAX_BROKER_MESSAGE_BYTES + 64);
  expect(['HEARTBEAT', 'OFFER', 'ANSWER', 'CANDIDATE']).toContain(message.type);
  expect(Object.keys(message).sort()).toEqual(message.type === 'HEARTBEAT' ? ['type'] : ['dst', 'payload', 'type']);
}

describe('parseClientMessage', () => {
  it('accepts every message shape the PeerJS client sends', () => {
    fc.assert(
      fc.property(honest, (message) => {
        expect(parseClientMessage(JSON.stringify(message))).toMatchObject(message);
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  it('never throws on arbitrary text, and what it accepts is safe to relay', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), safeToRelay), { numRuns: fuzzRuns(1000) });
  });

  it('never throws on arbitrary JSON, deeply nested or mutated from an honest message', () => {
    const mutated = fc.tuple(honest, fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('type', 'dst', 'payload', 'src', 'extra')).map(
      ([message, value, key]) => ({ ...message, [key]: value }),
    );
    const deep = fc.nat(5000).map((depth) => `{"type":"OFFER","dst":"a","payload":{"connectionId":"c","type":"data","sdp":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), mutated.map((m) => JSON.stringify(m)), deep), (text) => {
        if (text !== undefined) safeToRelay(text);
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('refuses nesting beyond what an honest payload has, and anything over the size cap', () => {
    const base = { type: 'OFFER', dst: 'a', payload: { sdp: { type: 'offer', sdp: 'v=0' }, type: 'data', connectionId: 'c' } };
    expect(parseClientMessage(JSON.stringify({ ...base, payload: { ...base.payload, metadata: [[[[[1]]]]] } }))).toBeNull();
    expect(parseClientMessage(JSON.stringify({ ...base, payload: { ...base.payload, metadata: Array(100).fill(0) } }))).toBeNull();
    expect(parseClientMessage(JSON.stringify({ ...base, payload: { ...base.payload, sdp: { type: 'offer', sdp: 'a'.repeat(MAX_BROKER_MESSAGE_BYTES) } } }))).toBeNull();
    expect(parseClientMessage(JSON.stringify({ ...base, dst: 'x'.repeat(65) }))).toBeNull();
    expect(parseClientMessage(JSON.stringify({ ...base, dst: '../a' }))).toBeNull();
    expect(parseClientMessage(JSON.stringify({ ...base, type: 'LEAVE' }))).toBeNull();
    expect(parseClientMessage(JSON.stringify(base))).not.toBeNull();
  });
});
