import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import nodeDataChannel from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import type Peer from 'peerjs';
import type { DataConnection } from 'peerjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeWebRtc, installWebRtc } from '../../../app/cli/node-webrtc.ts';
import { startServer, type RunningServer } from '../../../signal-server/server.ts';
import type { DescribedConnection } from '../../../app/src/net/broker.ts';
import { newSenderKeys, verifyOfferTicket } from '../../../app/src/transfer/auth.ts';
import { FailureError } from '../../../app/src/transfer/failure.ts';
import { newBrokerToken, peerIdFor } from '../../../app/src/common/broker-ids.ts';
import { newSecret, type ShareAddress } from '../../../app/src/transfer/link.ts';

// Collected from the first connection on, PeerJS's load-time probe included.
const webRtcLog: string[] = [];
nodeDataChannel.initLogger('Info', (_level, message) => webRtcLog.push(message));

await installWebRtc();
// Only now: PeerJS must load after the globals are in place.
const { describeConnection, openPeer } = await import('../../../app/src/net/broker.ts');
const { dial } = await import('../../../app/src/net/dial.ts');

const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));
/** No STUN, no TURN: two peers on this machine meet through their host candidates. */
const NO_SERVERS = { iceServers: [], shards: [] };

let server: RunningServer;
let origin: string;
const peers: Peer[] = [];

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, iceServers: [], staticDir: '/nonexistent' });
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  for (const peer of peers) peer.destroy();
  await server.close();
  closeWebRtc();
});

/** A sender registered as the share's peer id, admitting holders of its secret as share.svelte.ts does. */
async function sharing(): Promise<{ address: ShareAddress; accepted: Promise<DescribedConnection> }> {
  const token = newBrokerToken();
  const address = { peerId: peerIdFor('', token), secret: newSecret(), senderKey: newSenderKeys().senderKey };
  const admit = (src: string, connectionId: string, ticket: string) => verifyOfferTicket(address.secret, src, connectionId, ticket);
  const sender = await openPeer(origin, NO_SERVERS, { shard: '', id: address.peerId, token, admit });
  peers.push(sender);
  // The first connection that opens: a dial that failed leaves one that never does.
  const accepted = new Promise<DescribedConnection>((resolve, reject) => {
    sender.on('connection', (connection: DataConnection) => {
      connection.once('open', () => describeConnection(connection).then(resolve, reject));
    });
  });
  return { address, accepted };
}

/** Dial's deadlines, but short: on this machine a connection opens within about a second. */
const TEST_DIAL_TIMES = { serverMs: 5_000, answerMs: 5_000, totalMs: 8_000 };
const DIAL_ATTEMPTS = 3;

/**
 * Both ends of a receiver's connection to a new share, dialled as the CLI dials.
 * Dials again after a no-path failure, as a receiver does: libdatachannel 0.24.5 gives
 * an offerer's ICE agent the answer before it keeps the answer's fingerprint, and
 * when the answerer's DTLS handshake arrives in between (likeliest with both in one
 * process) the check fails ("DTLS alert: unknown CA") and the connection is lost.
 */
async function connected(): Promise<{ receiver: DescribedConnection; sender: DescribedConnection }> {
  const { address, accepted } = await sharing();
  for (let attempt = 1; ; attempt++) {
    try {
      // Dial's own deadlines end each attempt.
      const dialled = await dial(origin, address, new AbortController().signal, TEST_DIAL_TIMES);
      peers.push(dialled.peer);
      return { receiver: dialled.connection, sender: await accepted };
    } catch (error) {
      const lostInHandshake = error instanceof FailureError && error.failure.code === 'no-path';
      if (!lostInHandshake || attempt === DIAL_ATTEMPTS) throw error;
    }
  }
}

/** The next message on `open`'s channel, as bytes. */
function nextMessage(open: DescribedConnection): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const onMessage = (event: Event) => {
      open.channel.removeEventListener('message', onMessage);
      resolve(new Uint8Array((event as MessageEvent<ArrayBuffer>).data));
    };
    open.channel.addEventListener('message', onMessage);
  });
}

describe('PeerJS in Node', () => {
  it('installs the polyfill itself as RTCPeerConnection once PeerJS has loaded, and no browser globals', () => {
    expect(installWebRtc()).toBe(installWebRtc());
    expect(globalThis.RTCPeerConnection.prototype).toBeInstanceOf(RTCPeerConnection);
    expect('window' in globalThis).toBe(false);
    expect('location' in globalThis).toBe(false);
  });

  it('gives `import Peer from \'peerjs\'` the Peer class under plain Node, as the ferry command runs', async () => {
    // Vitest smooths over what Node itself does with PeerJS's CommonJS build.
    const script = "import { installWebRtc } from './app/cli/node-webrtc.ts'; await installWebRtc(); const { default: Peer } = await import('peerjs'); console.log(typeof Peer);";
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: REPOSITORY });
    expect(stdout.trim()).toBe('function');
  }, 20_000);

  it('dials a sender through Ferry’s broker and carries bytes there and back', async () => {
    const { receiver, sender } = await connected();
    // The same two certificates, seen from each end: the proofs of auth.ts sign these.
    expect(receiver.fingerprints).toEqual({ local: sender.fingerprints.remote, remote: sender.fingerprints.local });
    expect(receiver.maxMessageSize).toBeGreaterThanOrEqual(65536);

    const there = nextMessage(sender);
    receiver.channel.send(new Uint8Array([1, 2, 3]));
    expect(await there).toEqual(new Uint8Array([1, 2, 3]));
    const back = nextMessage(receiver);
    sender.channel.send(new Uint8Array([4, 5]));
    expect(await back).toEqual(new Uint8Array([4, 5]));
  }, 30_000);

  it('fires bufferedamountlow, which the transfer core’s backpressure waits on, and delivers a burst whole and in order', async () => {
    const { receiver, sender } = await connected();

    const frames = 64;
    const frameBytes = 64 * 1024;
    const received: number[] = [];
    const allArrived = new Promise<void>((resolve) => {
      receiver.channel.addEventListener('message', (event) => {
        const bytes = new Uint8Array((event as MessageEvent<ArrayBuffer>).data);
        expect(bytes.byteLength).toBe(frameBytes);
        received.push(bytes[0]!);
        if (received.length === frames) resolve();
      });
    });
    sender.channel.bufferedAmountLowThreshold = frameBytes;
    // Waited for, not counted at the end: the native side may report the drain after
    // the last message has already been delivered.
    const drained = new Promise<void>((resolve) => sender.channel.addEventListener('bufferedamountlow', () => resolve()));
    let mostQueued = 0;
    for (let index = 0; index < frames; index++) {
      sender.channel.send(new Uint8Array(frameBytes).fill(index));
      mostQueued = Math.max(mostQueued, sender.channel.bufferedAmount);
    }
    await allArrived;
    expect(received).toEqual(Array.from({ length: frames }, (_, index) => index));
    // The queue did pass the threshold, so the event reports a real drain.
    expect(mostQueued).toBeGreaterThan(frameBytes);
    await drained;
  }, 30_000);

  it('reports a share whose sender is not on the broker as sender-offline', async () => {
    const nobody = { peerId: peerIdFor('', newBrokerToken()), secret: newSecret(), senderKey: newSenderKeys().senderKey };
    const failure = await dial(origin, nobody, AbortSignal.timeout(15_000)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FailureError);
    expect((failure as FailureError).failure).toEqual({ code: 'sender-offline' });
  }, 20_000);

  it('says the sender is not online for a link to a shard this server does not have, without trying', async () => {
    const elsewhere = { peerId: peerIdFor('zz', newBrokerToken()), secret: newSecret(), senderKey: newSenderKeys().senderKey };
    const before = server.brokerStats().sockets;
    const failure = await dial(origin, elsewhere, AbortSignal.timeout(5_000)).catch((error: unknown) => error);
    expect((failure as FailureError).failure).toEqual({ code: 'sender-offline' });
    expect(server.brokerStats().sockets).toBe(before);
  });

  it('fails to join a broker that refuses the socket with a FailureError, not an uncaught exception', async () => {
    // The broker answers a token that is not base-36 with 400.
    const refused = openPeer(origin, NO_SERVERS, { shard: '', id: peerIdFor('', newBrokerToken()), token: 'not-base-36!' });
    await expect(refused).rejects.toBeInstanceOf(FailureError);
    await expect(refused).rejects.toMatchObject({ failure: { code: 'server-lost' } });
  });

  it('tells a person that Ferry is busy when the broker is full, through PeerJS as it is', async () => {
    const full = await startServer({ host: '127.0.0.1', port: 0, iceServers: [], staticDir: '/nonexistent', maxPeers: 1 }, { log: () => {} });
    try {
      const fullOrigin = new URL(full.url).origin;
      const [first, second] = [newBrokerToken(), newBrokerToken()];
      peers.push(await openPeer(fullOrigin, NO_SERVERS, { shard: '', id: peerIdFor('', first), token: first }));
      const refused = openPeer(fullOrigin, NO_SERVERS, { shard: '', id: peerIdFor('', second), token: second });
      await expect(refused).rejects.toBeInstanceOf(FailureError);
      await expect(refused).rejects.toMatchObject({ failure: { code: 'server-busy' }, message: 'Ferry is busy, try again in a minute.' });
    } finally {
      await full.close();
    }
  });

  it('contacts no STUN or TURN server: neither PeerJS’s public defaults when it loads nor any when given none', () => {
    // libdatachannel names each server it is given as a connection starts gathering.
    expect(webRtcLog.some((line) => line.includes('gathering state to in-progress'))).toBe(true);
    expect(webRtcLog.filter((line) => /STUN server|TURN server/.test(line))).toEqual([]);
  });
});
