import { describe, expect, it } from 'vitest';
import { proveSecret, sdpFingerprint, verifySecret } from '../../app/src/transfer/auth.ts';
import { fromBase64url, newPeerId, newSecret, parseRoute, shareLink } from '../../app/src/transfer/link.ts';
import { displayName, safeFileName } from '../../app/src/transfer/names.ts';
import { RateMeter } from '../../app/src/transfer/progress.ts';

describe('share links', () => {
  it('carry at least 128 random bits of secret in the fragment', () => {
    const secret = newSecret();
    expect(fromBase64url(secret).length).toBeGreaterThanOrEqual(16);
    expect(newSecret()).not.toBe(secret);
    const link = shareLink('https://ferry.example', newPeerId(), secret);
    expect(new URL(link).hash).toContain(secret);
  });

  it('round-trip through the route parser', () => {
    const peerId = newPeerId();
    const secret = newSecret();
    expect(parseRoute(new URL(shareLink('http://x', peerId, secret)).hash)).toEqual({ view: 'receive', peerId, secret });
  });

  it.each([
    ['', 'send'],
    ['#/', 'send'],
    ['#/r/abcdefgh12345678', 'bad-link'],
    ['#/r/abcdefgh12345678/', 'bad-link'],
    ['#/r/abcdefgh12345678/short', 'bad-link'],
    ['#/r/abcdefgh12345678/not*base64url*at*all!!', 'bad-link'],
    ['#/r/../AAAAAAAAAAAAAAAAAAAAAA', 'bad-link'],
    ['#/r/abcdefgh12345678/AAAAAAAAAAAAAAAAAAAAAA/extra', 'bad-link'],
  ])('%s → %s', (hash, view) => {
    const route = parseRoute(hash);
    expect(route.view).toBe(view);
    if (route.view === 'bad-link') expect(route.reason).toMatch(/link/);
  });
});

describe('secret proofs', () => {
  const sdp = 'v=0\r\na=fingerprint:SHA-256 ab:cd:ef\r\na=setup:actpass\r\n';
  it('read the DTLS fingerprint from SDP', () => {
    expect(sdpFingerprint(sdp)).toBe('sha-256 AB:CD:EF');
    expect(() => sdpFingerprint('v=0\r\n')).toThrow(/no DTLS fingerprint/);
  });

  it('verify only with the same secret, role and fingerprints', async () => {
    const secret = newSecret();
    const prints = { local: 'A', remote: 'B' };
    const mirror = { local: 'B', remote: 'A' };
    const proof = await proveSecret(secret, 'receiver', prints);
    expect(await verifySecret(secret, 'receiver', mirror, proof)).toBe(true);
    expect(await verifySecret(newSecret(), 'receiver', mirror, proof)).toBe(false);
    expect(await verifySecret(secret, 'sender', mirror, proof)).toBe(false);
    expect(await verifySecret(secret, 'receiver', { local: 'B', remote: 'C' }, proof)).toBe(false);
    expect(await verifySecret(secret, 'receiver', mirror, proof.slice(0, -2))).toBe(false);
    expect(await verifySecret(secret, 'receiver', mirror, '!!')).toBe(false);
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
