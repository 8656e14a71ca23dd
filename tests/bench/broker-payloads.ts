/**
 * Broker messages shaped as the PeerJS client sends them for a data connection
 * (and as signal-server/broker-messages.ts accepts them), with a session
 * description of realistic size.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `length` random characters of [a-z0-9], as PeerJS ids and tokens are. Joined, not
 * concatenated: a concatenated string is a rope, slower to hash than the flat ids
 * the broker parses out of a URL.
 */
export function randomName(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

/** A fresh PeerJS connection id. */
export const connectionId = () => `dc_${randomName(10)}`;

/**
 * A Chrome data-channel description, with the candidates of a machine that has a
 * few interfaces written into it (as when gathering finished before it was sent):
 * about 3 KB, the middle of the 1–6 KiB that real ones take.
 */
function sessionDescription(): string {
  const fingerprint = Array.from(randomBytes(32), (byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const lines = [
    'v=0',
    `o=- ${BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${randomName(4)}`,
    `a=ice-pwd:${randomName(24)}`,
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
  ];
  for (let n = 0; lines.join('\r\n').length < 3000; n++) {
    const port = 50_000 + n;
    lines.push(
      `a=candidate:${1_000_000_000 + n} 1 udp 2122260223 192.168.1.${2 + (n % 200)} ${port} typ host generation 0 network-id ${n % 4 + 1}`,
      `a=candidate:${2_000_000_000 + n} 1 udp 1686052607 203.0.113.${2 + (n % 200)} ${port} typ srflx raddr 192.168.1.${2 + (n % 200)} rport ${port} generation 0 network-id ${n % 4 + 1}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

const SDP = sessionDescription();

export const offer = (dst: string, id: string) =>
  JSON.stringify({
    type: 'OFFER',
    dst,
    payload: {
      sdp: { type: 'offer', sdp: SDP },
      type: 'data',
      connectionId: id,
      label: id,
      serialization: 'raw',
      reliable: true,
      browser: 'chrome',
    },
  });

export const answer = (dst: string, id: string) =>
  JSON.stringify({ type: 'ANSWER', dst, payload: { sdp: { type: 'answer', sdp: SDP }, type: 'data', connectionId: id, browser: 'chrome' } });

export const candidate = (dst: string, id: string) =>
  JSON.stringify({
    type: 'CANDIDATE',
    dst,
    payload: {
      candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      type: 'data',
      connectionId: id,
    },
  });

export const HEARTBEAT = JSON.stringify({ type: 'HEARTBEAT' });
