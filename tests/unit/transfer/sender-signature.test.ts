import * as ed25519 from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { verifySender } from '../../../app/src/transfer/auth.ts';
import { base64url, fromBase64url } from '../../../app/src/transfer/link.ts';

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

// A point of order 8 (from the curve's torsion subgroup) as the "sender key", and a
// signature whose R is the neutral point and whose S is 0. Under ZIP-215's cofactored
// equation, [8]([S]B - R - [k]A) is 0 for every k, so this one signature "verifies"
// every message; strict verification refuses small-order keys.
const smallOrderKey = base64url(fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'));
const neutralKey = base64url(fromHex(`01${'00'.repeat(31)}`));
const forgedSignature = base64url(fromHex(`01${'00'.repeat(31)}${'00'.repeat(32)}`));

describe('sender proofs under a small-order key', () => {
  const connections = [
    { local: 'sha-256 AA', remote: 'sha-256 BB' },
    { local: 'sha-256 CC:DD', remote: 'sha-256 EE:FF' },
  ];

  it('would pass ZIP-215 verification for any message (so the vector is the real forgery)', () => {
    for (const key of [smallOrderKey, neutralKey]) {
      for (const message of ['ferry-v2 sender a b', 'anything else']) {
        const bytes = new TextEncoder().encode(message);
        expect(ed25519.verify(fromBase64url(forgedSignature), bytes, fromBase64url(key), { zip215: true })).toBe(true);
      }
    }
  });

  it('are refused, whatever the connection: the fixed forged signature proves nothing', () => {
    for (const key of [smallOrderKey, neutralKey]) {
      for (const prints of connections) expect(verifySender(key, prints, forgedSignature)).toBe(false);
    }
  });
});
