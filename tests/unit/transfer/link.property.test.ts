import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, fromBase64url, parseRoute, SECRET_BYTES, SENDER_KEY_BYTES, shareLink, type BadLinkReason } from '../../../app/src/transfer/link.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz-runs.ts';

// The reasons the UI has words for.
const REASONS = Object.keys(en.badLink.reasons) as BadLinkReason[];

const peerId = fc.stringMatching(/^[A-Za-z0-9]{8,64}$/);
const secret = fc.uint8Array({ minLength: SECRET_BYTES, maxLength: 64 }).map(base64url);
const senderKey = fc.uint8Array({ minLength: SENDER_KEY_BYTES, maxLength: SENDER_KEY_BYTES }).map(base64url);

/** One part of a link: right, nearly right, or anything. */
const part = fc.oneof(
  fc.constantFrom('', '.', '..', '%2F', 'AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAA'),
  { weight: 2, arbitrary: peerId },
  { weight: 2, arbitrary: secret },
  { weight: 2, arbitrary: senderKey },
  fc.stringMatching(/^[A-Za-z0-9_=+/-]{0,30}$/),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Fragments shaped like a share link, with each part right, wrong or missing. */
const linkish = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom('#/r/', '/r/') }, fc.constantFrom('#/R/', '#r/', '#/r', '#//r/', '#/s/', '')),
    part,
    fc.oneof({ weight: 3, arbitrary: fc.constant('/') }, fc.constantFrom('', '//')),
    part,
    fc.oneof({ weight: 3, arbitrary: fc.constant('/') }, fc.constantFrom('', '//')),
    part,
    fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(fc.constantFrom('/', 'x', '/x'), { maxLength: 3 })),
  )
  .map(([start, id, slash, secret, slash2, key, tail]) => start + id + slash + secret + slash2 + key + tail.join(''));

const anyFragment = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 4, arbitrary: linkish },
  { weight: 1, arbitrary: fc.webUrl({ withFragments: true, withQueryParameters: true }).map((url) => new URL(url).hash) },
);

describe('parseRoute, on any fragment', () => {
  it('never throws, and gives the send view, a receive view that holds up, or a reason the UI knows', () => {
    fc.assert(
      fc.property(anyFragment, (hash) => {
        const route = parseRoute(hash);
        switch (route.view) {
          case 'send':
            expect(Object.keys(route)).toEqual(['view']);
            return;
          case 'receive':
            expect(route.address.peerId).toMatch(/^[A-Za-z0-9]{8,64}$/);
            expect(fromBase64url(route.address.secret).length).toBeGreaterThanOrEqual(SECRET_BYTES);
            expect(fromBase64url(route.address.senderKey).length).toBe(SENDER_KEY_BYTES);
            // Only a trailing slash may follow what the link carries.
            expect(hash.replace(/^#/, '').replace(/\/+$/, '')).toBe(`/r/${route.address.peerId}/${route.address.secret}/${route.address.senderKey}`);
            return;
          case 'bad-link':
            expect(REASONS).toContain(route.reason);
            return;
          default:
            throw new Error(`not a view: ${JSON.stringify(route)}`);
        }
      }),
      { numRuns: fuzzRuns(500) },
    );
  }, fuzzTimeout);

  it('reads back every link shareLink makes', () => {
    fc.assert(
      fc.property(peerId, secret, senderKey, (id, secret, key) => {
        const address = { peerId: id, secret, senderKey: key };
        expect(parseRoute(new URL(shareLink('https://ferry.example', address)).hash)).toEqual({ view: 'receive', address });
      }),
      { numRuns: fuzzRuns(200) },
    );
  }, fuzzTimeout);
});

describe('base64url', () => {
  it('round-trips any bytes but none', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => {
        const text = base64url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(fromBase64url(text)).toEqual(bytes);
      }),
      { numRuns: fuzzRuns(200) },
    );
  }, fuzzTimeout);

  it('decodes any string of its alphabet but those whose length leaves one character over, and refuses the rest with an Error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]*$/), fc.string({ unit: 'binary' })), (text) => {
        let bytes: Uint8Array;
        try {
          bytes = fromBase64url(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect(!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1).toBe(true);
          return;
        }
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(text.length % 4).not.toBe(1);
        expect(bytes.length).toBe(Math.floor((text.length * 3) / 4));
      }),
      { numRuns: fuzzRuns(300) },
    );
  }, fuzzTimeout);
});
