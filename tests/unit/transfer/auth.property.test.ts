import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ed25519 from '@noble/ed25519';
import {
  newReceiverKey,
  newSenderKeys,
  proveReceiver,
  proveReceiverKey,
  proveSender,
  sdpFingerprint,
  verifyReceiver,
  verifyReceiverKey,
  verifySender,
} from '../../../app/src/transfer/auth.ts';
import { base64url, fromBase64url, newSecret } from '../../../app/src/transfer/link.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';

const hex = fc.stringMatching(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){0,31}$/);
const fingerprintLine = fc
  .tuple(fc.constantFrom('sha-256', 'SHA-256', 'sha-1', 'x'), hex, fc.constantFrom('', ' ', '\t'))
  .map(([algorithm, print, space]) => `a=fingerprint:${algorithm} ${print}${space}`);

/** Session descriptions as a broker could relay them: lines in any order, some fingerprints, some junk. */
const sdp = fc
  .tuple(
    fc.array(fc.oneof(fingerprintLine, fc.constantFrom('v=0', 'a=setup:actpass', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', ''), fc.string()), {
      maxLength: 8,
    }),
    fc.constantFrom('\r\n', '\n', '\r'),
  )
  .map(([lines, end]) => lines.join(end));

describe('sdpFingerprint, on any session description', () => {
  it('returns one normalised fingerprint the text carries, or throws an Error that says why', () => {
    fc.assert(
      fc.property(fc.oneof(sdp, fc.string({ unit: 'binary' })), (text) => {
        let print: string;
        try {
          print = sdpFingerprint(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/^the session description (has no|carries conflicting) DTLS fingerprints?$/);
          return;
        }
        expect(print).toMatch(/^\S+ [0-9A-F:]+$/);
        expect(print.split(' ')[0]).toBe(print.split(' ')[0]!.toLowerCase());
        expect(text.toLowerCase()).toContain(`a=fingerprint:${print.toLowerCase()}`);
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});

describe('the proofs, on anything a peer sends', () => {
  const secret = newSecret();
  const keys = newSenderKeys();
  const prints = { local: 'sha-256 AA:BB', remote: 'sha-256 CC:DD' };
  const mirror = { local: prints.remote, remote: prints.local };
  const receiverKey = proveReceiverKey(newReceiverKey(), prints);
  const proofs = { sender: Promise.resolve(proveSender(keys.signingKey, prints)), receiver: proveReceiver(secret, prints), receiverKey: receiverKey.keyProof };
  const verify = {
    sender: async (proof: string) => verifySender(keys.senderKey, mirror, proof),
    receiver: (proof: string) => verifyReceiver(secret, mirror, proof),
    receiverKey: (proof: string) => verifyReceiverKey({ key: receiverKey.key, keyProof: proof }, mirror),
  };

  it('answer a boolean, never throw, and say yes only to the bytes of the real proof', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('sender' as const, 'receiver' as const, 'receiverKey' as const),
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.stringMatching(/^[A-Za-z0-9_-]{40,90}$/),
          fc.uint8Array({ maxLength: 70 }).map(base64url),
          // The real proof with one character changed: nearly right is still wrong.
          fc.tuple(fc.nat(85), fc.constantFrom(...'AQgw_-z9')).map(([at, char]) => ({ at, char })),
        ),
        async (role, given) => {
          const real = await proofs[role];
          const proof = typeof given === 'string' ? given : real.slice(0, given.at) + given.char + real.slice(given.at + 1);
          const verdict = await verify[role](proof);
          expect(typeof verdict).toBe('boolean');
          if (verdict) expect(fromBase64url(proof)).toEqual(fromBase64url(real));
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
    expect(await verify.sender(await proofs.sender)).toBe(true);
    expect(await verify.receiver(await proofs.receiver)).toBe(true);
    expect(verify.receiverKey(proofs.receiverKey)).toBe(true);
  }, fuzzTimeout);

  it('a receiver key’s signature verifies for that key alone', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map(base64url),
          fc.tuple(fc.nat(42), fc.constantFrom(...'AQgw_-z9')).map(([at, char]) => receiverKey.key.slice(0, at) + char + receiverKey.key.slice(at + 1)),
        ),
        (key) => {
          const verdict = verifyReceiverKey({ key, keyProof: receiverKey.keyProof }, mirror);
          if (verdict) expect(fromBase64url(key)).toEqual(fromBase64url(receiverKey.key));
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
  }, fuzzTimeout);

  it('a receiver key of small order is refused, though its one forged signature passes ZIP-215 for any connection', () => {
    // The neutral point as a public key, and R = the neutral point, S = 0 as the signature.
    const neutral = new Uint8Array(32);
    neutral[0] = 1;
    const forged = new Uint8Array(64);
    forged.set(neutral);
    const statement = new TextEncoder().encode('ferry-v2 receiver key sha-256 CC:DD sha-256 AA:BB');
    expect(ed25519.verify(forged, statement, neutral)).toBe(true);
    expect(verifyReceiverKey({ key: base64url(neutral), keyProof: base64url(forged) }, mirror)).toBe(false);
  });
});
