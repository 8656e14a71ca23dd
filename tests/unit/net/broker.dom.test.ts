// The fakes first: PeerJS checks for WebRTC when it loads.
import { FakePeerConnection, FakeWebSocket, RECEIVER_SDP } from './fake-webrtc.ts';
import type Peer from 'peerjs';
import type { DataConnection } from 'peerjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeConnection, openPeer } from '../../../app/src/net/broker.ts';
import { offerTicket, verifyOfferTicket } from '../../../app/src/transfer/auth.ts';
import { newSecret } from '../../../app/src/transfer/link.ts';

const SENDER_ID = 'sender-id';
const SECRET = newSecret();

interface Sender {
  peer: Peer;
  broker: FakeWebSocket;
  accepted: DataConnection[];
  calls: number;
}

let current: Sender | null = null;

/**
 * A sender's page, registered with the (fake) broker, accepting what PeerJS hands it
 * and admitting offers whose ticket proves the link, as share.svelte.ts does; or, with
 * `admitting` false, a receiver's page, which admits no offer.
 */
async function sender(admitting = true): Promise<Sender> {
  const admit = (src: string, id: string, ticket: string) => verifyOfferTicket(SECRET, src, id, ticket);
  const opening = openPeer('http://ferry.test', { iceServers: [], shards: [] }, { shard: '', id: SENDER_ID, token: 'sendertoken', ...(admitting && { admit }) });
  const broker = FakeWebSocket.latest!;
  broker.accept();
  const peer = await opening;
  const state: Sender = { peer, broker, accepted: [], calls: 0 };
  peer.on('connection', (connection) => state.accepted.push(connection));
  peer.on('call', () => (state.calls += 1));
  peer.on('error', () => {}); // junk SDP is reported as 'webrtc', which Ferry ignores
  current = state;
  return state;
}

/** An offer as a Ferry receiver's PeerJS sends it, with `changes` applied. */
function offer(src: string, connectionId: string, changes: Record<string, unknown> = {}) {
  return {
    type: 'OFFER',
    src,
    dst: SENDER_ID,
    payload: {
      type: 'data',
      connectionId,
      label: connectionId,
      serialization: 'raw',
      reliable: true,
      metadata: { ticket: offerTicket(SECRET, src, connectionId) },
      sdp: { type: 'offer', sdp: RECEIVER_SDP },
      ...changes,
    },
  };
}

/** PeerJS's store of messages for unknown connections; the test fails loudly if it moved. */
function lostMessages(peer: Peer): Map<string, unknown[]> {
  const store = (peer as unknown as { _lostMessages?: unknown })._lostMessages;
  if (!(store instanceof Map)) throw new Error('PeerJS no longer keeps _lostMessages: rewrite this check');
  return store;
}

const lists = (peer: Peer) => Object.keys(peer.connections);

beforeEach(() => {
  FakePeerConnection.reset();
});

afterEach(() => {
  try {
    current?.peer.destroy();
  } catch {
    // The test that provokes this has already failed on it.
  }
  current = null;
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('what the broker may hand PeerJS on a sender page', () => {
  it('keeps nothing for connections the page does not know, however many messages come', async () => {
    const { peer, broker } = await sender();
    for (let i = 0; i < 10_000; i++) {
      broker.deliver({ type: 'CANDIDATE', src: 'flooder', dst: SENDER_ID, payload: { connectionId: `dc_${i}`, candidate: { candidate: 'x' } } });
      broker.deliver({ type: 'ANSWER', src: `flooder-${i}`, dst: SENDER_ID, payload: { connectionId: 'dc_x', sdp: { type: 'answer', sdp: 'v=0' } } });
    }
    expect(lostMessages(peer).size).toBe(0);
  });

  it('still passes candidates on to a connection it knows', async () => {
    const { broker, accepted } = await sender();
    const added = vi.spyOn(FakePeerConnection.prototype, 'addIceCandidate');
    broker.deliver(offer('receiver', 'dc_real'));
    broker.deliver({ type: 'CANDIDATE', src: 'receiver', dst: SENDER_ID, payload: { connectionId: 'dc_real', candidate: { candidate: 'c' } } });
    await Promise.resolve();
    expect(accepted.map((c) => c.serialization)).toEqual(['raw']);
    expect(added).toHaveBeenCalledTimes(1);
    added.mockRestore();
  });

  const refused: Array<[string, Record<string, unknown>]> = [
    ['json', { serialization: 'json' }],
    ['binary', { serialization: 'binary' }],
    ['binary-utf8', { serialization: 'binary-utf8' }],
    ['a name PeerJS finds on Object.prototype', { serialization: 'constructor' }],
    ['a method name', { serialization: 'toString' }],
    ['no serialization', { serialization: undefined }],
    ['unreliable', { reliable: false }],
    ['a media call', { type: 'media' }],
    ['a label of its own', { label: 'files' }],
    ['no ticket', { metadata: undefined }],
    ['other metadata', { metadata: { name: 'x' } }],
    ['a ticket and more', { metadata: { ticket: offerTicket(SECRET, 'flooder', 'dc_bogus'), name: 'x' } }],
    ['a ticket made without the link’s secret', { metadata: { ticket: offerTicket(newSecret(), 'flooder', 'dc_bogus') } }],
    ['a ticket for another connection', { metadata: { ticket: offerTicket(SECRET, 'flooder', 'dc_other') } }],
    ['a ticket of another broker identity', { metadata: { ticket: offerTicket(SECRET, 'receiver', 'dc_bogus') } }],
    ['a ticket that is not base64url', { metadata: { ticket: '!'.repeat(22) } }],
    ['a ticket that is not a string', { metadata: { ticket: 7 } }],
    ['a huge SDP', { sdp: { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(10_000)}` } }],
    ['no SDP', { sdp: null }],
  ];

  it.each(refused)('refuses an offer with %s before PeerJS builds anything', async (_, changes) => {
    const { peer, broker, accepted, calls } = await sender();
    const before = FakePeerConnection.made;
    expect(() => broker.deliver(offer('flooder', 'dc_bogus', changes))).not.toThrow();
    expect(accepted).toEqual([]);
    expect(calls).toBe(0);
    expect(FakePeerConnection.made).toBe(before);
    expect(lists(peer)).toEqual([]);
    expect(() => peer.destroy()).not.toThrow();
  });

  it('on a page that admits no offers (a receiver’s), refuses even a perfect one', async () => {
    const { broker, accepted } = await sender(false);
    const before = FakePeerConnection.made;
    broker.deliver(offer('receiver', 'dc_real'));
    expect(accepted).toEqual([]);
    expect(FakePeerConnection.made).toBe(before);
  });

  it('refuses connection ids PeerJS would not make', async () => {
    const { broker, accepted } = await sender();
    broker.deliver(offer('flooder', 'x'.repeat(1000)));
    broker.deliver(offer('flooder', '__proto__ x'));
    expect(accepted).toEqual([]);
  });

  it('ignores a second offer for a connection it already has', async () => {
    const { broker, accepted } = await sender();
    broker.deliver(offer('receiver', 'dc_1'));
    broker.deliver(offer('receiver', 'dc_1'));
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.peerConnection).not.toBeNull();
  });

  it('forgets every broker identity whose connections have all closed', async () => {
    const { peer, broker, accepted } = await sender();
    for (let i = 0; i < 200; i++) {
      broker.deliver(offer(`flooder-${i}`, `dc_${i}`));
      await tick(); // let PeerJS answer first
      accepted.at(-1)!.close();
    }
    broker.deliver(offer('receiver', 'dc_real'));
    expect(lists(peer)).toEqual(['receiver']);
    expect(FakePeerConnection.live.size).toBe(1);
  });
});

describe('a described connection', () => {
  it.each([
    ['as the specification says', false],
    ['as Chromium and Firefox do', true],
  ])('is forgotten by PeerJS once its channel ends, when closing the transport closes the channel %s', async (_, fires) => {
    FakePeerConnection.closeFiresChannelClose = fires;
    const { peer, broker, accepted } = await sender();
    broker.deliver(offer('receiver', 'dc_real'));
    await tick();
    const connection = accepted[0]!;
    const opened = new Promise((resolve) => connection.on('open', () => resolve(describeConnection(connection))));
    (connection.peerConnection as unknown as FakePeerConnection).connect(connection.label);
    const { channel } = (await opened) as Awaited<ReturnType<typeof describeConnection>>;
    channel.close();
    await tick();
    expect(FakePeerConnection.live.size).toBe(0);
    expect(peer.getConnection('receiver', 'dc_real')).toBeNull();
  });
});
