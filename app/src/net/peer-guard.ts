/**
 * What the broker may hand PeerJS. A sender's peer id is in its share link, so anyone
 * who learns it can make the broker deliver messages to the sender's page, and
 * PeerJS 1.5 trusts them:
 *
 * - a CANDIDATE or ANSWER for a connection it does not know is kept, in
 *   `Peer._lostMessages`, until an offer with that id arrives — that is, forever;
 * - an OFFER builds whatever `payload.serialization` names in a lookup on a plain
 *   object: 'json' or 'binary' build connections Ferry cannot use, 'toString' throws
 *   inside the socket's message handler, and 'constructor' builds `new Object(…)`,
 *   which PeerJS files among its connections: Ferry's accept path and every later
 *   `peer.destroy()` then throw on its missing close();
 * - an OFFER of type 'media' builds an RTCPeerConnection nobody ever closes;
 * - any OFFER builds an RTCPeerConnection, and anyone can send one.
 *
 * PeerJS has no option for any of this. We stand between its broker socket and its
 * message handler, and pass on only what a Ferry peer sends: offers made exactly as a
 * receiver makes them, carrying a ticket only a holder of the link can make
 * (transfer/auth.ts offerTicket), and signalling for connections the page has. This touches no private
 * field: `peer.socket` is typed (if marked internal) and the listener calls are
 * eventemitter3's public API. Capping `_lostMessages` instead would reach into a
 * private field and still let every bad offer build an RTCPeerConnection first.
 */
import type Peer from 'peerjs';
import type { AdmitOffer } from '../session/host-ports.ts';

/** How a Ferry receiver offers its connection (dial.ts). A sender accepts no other. */
export const FERRY_CONNECTION = { serialization: 'raw', reliable: true } as const;

/** A data-channel-only offer is about 1 KB; candidates travel in separate messages. */
const MAX_SDP_CHARS = 16 * 1024;
/** A ticket is 16 bytes of base64url; anything much longer is not one. */
const MAX_TICKET_CHARS = 64;
/** PeerJS names connections 'dc_' + a random base-36 token; dial.ts, 'dc_' + base64url. */
const CONNECTION_ID = /^[\w-]{1,64}$/;
/** Broker messages PeerJS handles without looking for a connection. */
const PEER_LEVEL = new Set(['OPEN', 'ERROR', 'ID-TAKEN', 'INVALID-KEY', 'LEAVE', 'EXPIRE']);

type Message = Record<string, unknown>;

/**
 * Filters what `peer`'s broker socket passes to PeerJS. Call it right after
 * constructing the Peer, before any message can arrive. Throws if PeerJS no longer
 * has the shape this relies on: better a share that does not start than one open to
 * a flood.
 */
export function guardPeer(peer: Peer, admit?: AdmitOffer): void {
  const socket = peer.socket;
  const handlers = typeof socket?.listeners === 'function' ? socket.listeners('message') : [];
  const deliver = handlers[0];
  if (handlers.length !== 1 || !deliver) {
    throw new Error(`PeerJS changed: expected one handler of broker messages, found ${handlers.length}`);
  }
  socket.removeListener('message', deliver);
  socket.on('message', (message: unknown) => {
    if (!isObject(message) || typeof message.type !== 'string') return;
    if (PEER_LEVEL.has(message.type)) return deliver(message);
    const { src, payload } = message;
    if (typeof src !== 'string' || !isObject(payload) || typeof payload.connectionId !== 'string') return;
    const known = peer.getConnection(src, payload.connectionId) !== null;
    if (message.type !== 'OFFER') {
      // Anything else is about one connection: PeerJS would keep it if it has none.
      if (known) deliver(message);
      return;
    }
    // A second offer for a known id would make PeerJS close and replace it.
    if (known || !admit || !isFerryOffer(payload) || !admit(src, payload.connectionId, (payload.metadata as Ticketed).ticket)) return;
    forgetEmptyPeers(peer, deliver);
    deliver(message);
  });
}

interface Ticketed {
  ticket: string;
}

/** An offer exactly as dial.ts makes it: raw, reliable, PeerJS's default label, a ticket as its only metadata. */
export function isFerryOffer(payload: Message): payload is Message & { connectionId: string; metadata: Ticketed } {
  const { type, connectionId, serialization, reliable, label, metadata, sdp } = payload;
  return (
    type === 'data' &&
    typeof connectionId === 'string' &&
    CONNECTION_ID.test(connectionId) &&
    serialization === FERRY_CONNECTION.serialization &&
    reliable === FERRY_CONNECTION.reliable &&
    label === connectionId &&
    isObject(metadata) &&
    Object.keys(metadata).length === 1 &&
    typeof metadata.ticket === 'string' &&
    metadata.ticket.length <= MAX_TICKET_CHARS &&
    isObject(sdp) &&
    sdp.type === 'offer' &&
    typeof sdp.sdp === 'string' &&
    sdp.sdp.length <= MAX_SDP_CHARS
  );
}

/**
 * PeerJS drops a closed connection from its list for that peer, but keeps the list:
 * one empty entry per broker identity that ever offered. A LEAVE is PeerJS's own way
 * to forget a peer (it closes that peer's connections — here, none — and deletes the
 * entry), so one is handed to it for each empty list before every new offer.
 */
function forgetEmptyPeers(peer: Peer, deliver: (message: Message) => void): void {
  const lists = peer.connections as Record<string, unknown[]> | Map<string, unknown[]>;
  const entries = lists instanceof Map ? [...lists] : Object.entries(lists);
  for (const [src, list] of entries) if (Array.isArray(list) && list.length === 0) deliver({ type: 'LEAVE', src });
}

function isObject(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
