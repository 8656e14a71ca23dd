import { describe, expect, it } from 'vitest';
import { newSenderKeys, proveReceiver, proveSender, sdpFingerprint, verifyReceiver, verifySender } from '../../../app/src/transfer/auth.ts';
import { newBrokerToken, peerIdFor } from '../../../app/src/common/broker-ids.ts';
import { fromBase64url, newSecret, parseRoute, shareLink } from '../../../app/src/transfer/link.ts';
import { displayName, safeFileName } from '../../../app/src/common/names.ts';
import { RateMeter } from '../../../app/src/transfer/progress.ts';

describe('share links', () => {
  it('carry at least 128 random bits of secret in the fragment', () => {
    const secret = newSecret();
    expect(fromBase64url(secret).length).toBeGreaterThanOrEqual(16);
    expect(newSecret()).not.toBe(secret);
    const link = shareLink('https://ferry.example', { peerId: peerIdFor('', newBrokerToken()), secret, senderKey: newSenderKeys().senderKey });
    expect(new URL(link).hash).toContain(secret);
  });

  it('carry the sender’s public key, never its signing key', () => {
    const keys = newSenderKeys();
    const link = shareLink('https://ferry.example', { peerId: peerIdFor('', newBrokerToken()), secret: newSecret(), senderKey: keys.senderKey });
    expect(link).toContain(keys.senderKey);
    expect(link).not.toContain(keys.signingKey);
    // Short enough for a QR code a phone reads at a glance.
    expect(link.length - 'https://ferry.example'.length).toBeLessThanOrEqual(100);
  });

  it('round-trip through the route parser', () => {
    const address = { peerId: peerIdFor('', newBrokerToken()), secret: newSecret(), senderKey: newSenderKeys().senderKey };
    expect(parseRoute(new URL(shareLink('http://x', address)).hash)).toEqual({ view: 'receive', address });
  });

  const key = 'A'.repeat(43);
  const secret = 'A'.repeat(22);
  it.each([
    ['', 'send'],
    ['#/', 'send'],
    ['#/r/../AAAAAAAAAAAAAAAAAAAAAA', 'no-sender-id'],
    // Cut short, as where a message wrapped: at any part, or inside one.
    ['#/r/abcdefgh12345678', 'incomplete'],
    ['#/r/abcdefgh12345678/', 'incomplete'],
    ['#/r/abcdefgh12345678/short', 'incomplete'],
    [`#/r/abcdefgh12345678/${secret.slice(0, -1)}`, 'incomplete'],
    [`#/r/abcdefgh12345678/${secret}`, 'incomplete'],
    [`#/r/abcdefgh12345678/${secret}/`, 'incomplete'],
    [`#/r/abcdefgh12345678/${secret}/${key.slice(0, 20)}`, 'incomplete'],
    [`#/r/abcdefgh12345678/${secret}/${key.slice(0, -2)}`, 'incomplete'],
    // Holding what no link holds.
    ['#/r/abcdefgh12345678/not*base64url*at*all!!', 'damaged-secret'],
    [`#/r/abcdefgh12345678/${secret}AAA/${key}`, 'damaged-secret'],
    [`#/r/abcdefgh12345678/${secret}/not*a*key`, 'damaged-key'],
    [`#/r/abcdefgh12345678/${secret}/${key}A`, 'damaged-key'],
    [`#/r/abcdefgh12345678/${secret}/${key.slice(0, -1)}!`, 'damaged-key'],
    [`#/r/abcdefgh12345678/${secret}/${key}/extra`, 'damaged-key'],
    [`#/r/abcdefgh12345678/${secret}/${key}`, 'receive'],
    [`#/r/abcdefgh12345678/${secret}/${key}/`, 'receive'],
  ])('%s → %s', (hash, expected) => {
    const route = parseRoute(hash);
    expect(route.view === 'bad-link' ? route.reason : route.view).toBe(expected);
  });
});

describe('secret proofs', () => {
  const sdp = 'v=0\r\na=fingerprint:SHA-256 ab:cd:ef\r\na=setup:actpass\r\n';
  it('read the DTLS fingerprint from SDP', () => {
    expect(sdpFingerprint(sdp)).toBe('sha-256 AB:CD:EF');
    expect(() => sdpFingerprint('v=0\r\n')).toThrow(/no DTLS fingerprint/);
  });

  const prints = { local: 'A', remote: 'B' };
  const mirror = { local: 'B', remote: 'A' };

  it('of the receiver verify only with the same secret and fingerprints', async () => {
    const secret = newSecret();
    const proof = await proveReceiver(secret, prints);
    expect(await verifyReceiver(secret, mirror, proof)).toBe(true);
    expect(await verifyReceiver(newSecret(), mirror, proof)).toBe(false);
    // Replayed on another connection.
    expect(await verifyReceiver(secret, { local: 'B', remote: 'C' }, proof)).toBe(false);
    // Turned around: the receiver's own statement is not the other side's.
    expect(await verifyReceiver(secret, prints, proof)).toBe(false);
    expect(await verifyReceiver(secret, mirror, proof.slice(0, -2))).toBe(false);
    expect(await verifyReceiver(secret, mirror, '!!')).toBe(false);
  });
});

describe('sender proofs', () => {
  const prints = { local: 'sha-256 AA', remote: 'sha-256 BB' };
  const mirror = { local: 'sha-256 BB', remote: 'sha-256 AA' };
  const keys = newSenderKeys();
  const proof = proveSender(keys.signingKey, prints);

  it('verify against the link’s key, for this connection', () => {
    expect(verifySender(keys.senderKey, mirror, proof)).toBe(true);
  });

  it('made with any other key fail: a receiver, with its own key, cannot pass as the sender', () => {
    const other = newSenderKeys();
    expect(verifySender(keys.senderKey, mirror, proveSender(other.signingKey, prints))).toBe(false);
    expect(verifySender(other.senderKey, mirror, proof)).toBe(false);
  });

  it('replayed from another connection fail', () => {
    expect(verifySender(keys.senderKey, { local: 'sha-256 CC', remote: 'sha-256 AA' }, proof)).toBe(false);
    expect(verifySender(keys.senderKey, { local: 'sha-256 BB', remote: 'sha-256 CC' }, proof)).toBe(false);
    // The same fingerprints in the other order: a proof for the other direction.
    expect(verifySender(keys.senderKey, prints, proof)).toBe(false);
  });

  it('cannot be a receiver’s proof, or the secret’s', async () => {
    const secret = newSecret();
    expect(await verifyReceiver(secret, mirror, proof)).toBe(false);
    expect(verifySender(keys.senderKey, mirror, await proveReceiver(secret, prints))).toBe(false);
  });

  it('never throw on a damaged proof or key', () => {
    expect(verifySender(keys.senderKey, mirror, proof.slice(0, -2))).toBe(false);
    expect(verifySender(keys.senderKey, mirror, '!!')).toBe(false);
    expect(verifySender('AAAA', mirror, proof)).toBe(false);
    expect(verifySender('!'.repeat(43), mirror, proof)).toBe(false);
    // The identity point, a small-order key that would accept forged signatures.
    expect(verifySender(`AQ${'A'.repeat(41)}`, mirror, proof)).toBe(false);
  });
});

describe('file names from a peer', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['photos/2024/cat.jpg', 'photos_2024_cat.jpg'],
    ['../../.bashrc', 'bashrc'],
    ['..\\..\\Windows\\system32\\evil.dll', 'Windows_system32_evil.dll'],
    ['/etc/passwd', 'etc_passwd'],
    ['a\u0000b\u0007c\u001b[31m.txt', 'abc[31m.txt'],
    ['invoice\u202Egpj.exe', 'invoicegpj.exe'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    // Reserved once the leading dots are gone.
    ['.con', '_con'],
    ['..LPT1.txt', '_LPT1.txt'],
    ['trailing. . .', 'trailing'],
    ['..', 'file'],
    ['', 'file'],
    ['Привет мир.txt', 'Привет мир.txt'],
    ['🚀 launch.mov', '🚀 launch.mov'],
    ['what?<>:"|*.txt', 'what.txt'],
  ])('%j → %j', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
  });

  it('shortens very long names and keeps the extension', () => {
    const safe = safeFileName(`${'x'.repeat(500)}.tar.gz`);
    expect(safe.length).toBe(200);
    expect(safe.endsWith('.gz')).toBe(true);
  });

  it('shortens where a character ends, and not before a space or dot', () => {
    // Names are cut to 200 UTF-8 bytes: 'a' and 49 four-byte characters, none halved.
    expect(safeFileName(`a${'📄'.repeat(150)}`)).toBe(`a${'📄'.repeat(49)}`);
    expect(safeFileName(`${'x'.repeat(199)} y`)).toBe('x'.repeat(199));
    expect(safeFileName(`${'x'.repeat(195)}. ${'y'.repeat(10)}.txt`)).toBe(`${'x'.repeat(195)}.txt`);
  });

  it('shows control characters as replacement marks', () => {
    expect(displayName('a\u0000b\u202E')).toBe('a\uFFFDb\uFFFD');
  });
});

describe('rate meter', () => {
  it('measures speed over the recent window and estimates the time left', () => {
    const meter = new RateMeter(10_000_000);
    expect(meter.progress(0, 0).rate).toBe(0);
    meter.progress(1_000_000, 1000);
    const p = meter.progress(2_000_000, 2000);
    expect(p.rate).toBe(1_000_000);
    expect(p.eta).toBe(8);
    // A stall shows up within the window rather than being averaged away.
    meter.progress(2_000_000, 5000);
    expect(meter.progress(2_000_000, 6000).rate).toBe(0);
  });
});

describe('an SDP with conflicting fingerprints', () => {
  it('is refused, so a broker cannot show one certificate and use another', () => {
    const sdp = 'v=0\r\na=fingerprint:sha-256 AA:AA\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 BB:BB\r\n';
    expect(() => sdpFingerprint(sdp)).toThrow(/conflicting/);
    expect(sdpFingerprint(sdp.replace('BB:BB', 'aa:aa'))).toBe('sha-256 AA:AA');
  });
});
