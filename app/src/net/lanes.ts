/**
 * Lanes (transfer/lanes.ts) as RTCPeerConnections of their own, each with one data
 * channel both sides create alike (negotiated, id 0), so neither waits to be told of
 * it. Offer and answer travel whole, candidates included, as one message each way
 * inside the proven session: no broker, no trickling. A lane is configured as the
 * connection it joins (its ICE servers and transport policy), so it takes the same
 * kind of path.
 */
import type { Lane, LaneMaker } from '../transfer/channel.ts';
import { LANE_OPEN_TIMEOUT_MS, MAX_LANE_SDP_LENGTH } from '../transfer/lanes.ts';
import { negotiatedMessageSize, PeerChannel } from './peer-channel.ts';

/** Candidates gathered by then go with the description; a slow STUN or TURN server does not hold the lane up longer. */
const GATHER_TIMEOUT_MS = 3000;

/** Lanes configured like `pc`, made by its own class (the browser's, or the terminal's stand-in). */
export function lanesLike(pc: RTCPeerConnection): LaneMaker {
  const { iceServers, iceTransportPolicy } = pc.getConfiguration();
  const config: RTCConfiguration = { ...(iceServers && { iceServers }), ...(iceTransportPolicy && { iceTransportPolicy }) };
  return peerLanes(() => new (pc.constructor as typeof RTCPeerConnection)(config));
}

export function peerLanes(connect: () => RTCPeerConnection): LaneMaker {
  return {
    offer: () =>
      withConnection(connect, async (pc, channel) => {
        await pc.setLocalDescription(await pc.createOffer());
        return {
          sdp: await gathered(pc),
          accept: async (answer) => {
            await pc.setRemoteDescription({ type: 'answer', sdp: answer });
            return opened(pc, channel);
          },
          close: () => pc.close(),
        };
      }),
    answer: (offer) =>
      withConnection(connect, async (pc, channel) => {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
        const sdp = await gathered(pc);
        const lane = opened(pc, channel);
        // Whoever takes the answer awaits the lane; a failure before that is not news.
        lane.catch(() => {});
        return { sdp, lane, close: () => pc.close() };
      }),
  };
}

/** A new connection with the lane's channel, handed to `describe`; closed if that fails. */
async function withConnection<T>(connect: () => RTCPeerConnection, describe: (pc: RTCPeerConnection, channel: RTCDataChannel) => Promise<T>): Promise<T> {
  const pc = connect();
  try {
    return await describe(pc, laneChannel(pc));
  } catch (error) {
    pc.close();
    throw error;
  }
}

function laneChannel(pc: RTCPeerConnection): RTCDataChannel {
  // Its label tells a lane's connection from one made through the broker (the end-to-end tests count them apart).
  const channel = pc.createDataChannel('ferry-lane', { negotiated: true, id: 0, ordered: true });
  channel.binaryType = 'arraybuffer';
  return channel;
}

/** The local description once its candidates are gathered, or as far as they are after GATHER_TIMEOUT_MS. */
function gathered(pc: RTCPeerConnection): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      const sdp = pc.localDescription?.sdp;
      if (!sdp || sdp.length > MAX_LANE_SDP_LENGTH) reject(new Error('the lane’s session description is missing or too long'));
      else resolve(sdp);
    };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const timer = setTimeout(done, GATHER_TIMEOUT_MS);
    pc.addEventListener('icegatheringstatechange', check);
    check();
  });
}

/** The lane, once its channel is open; fails if it closes first or does not open in LANE_OPEN_TIMEOUT_MS. */
function opened(pc: RTCPeerConnection, channel: RTCDataChannel): Promise<Lane> {
  // Wrapped at once: what arrives before the link listens is held for it.
  const wrapped = new PeerChannel(pc, channel, () => {});
  return new Promise((resolve, reject) => {
    const settle = (fail: boolean) => {
      clearTimeout(timer);
      channel.removeEventListener('open', onOpen);
      wrapped.removeEventListener('close', onClose);
      if (fail) {
        wrapped.close();
        return reject(new Error('the lane did not open'));
      }
      resolve({ channel: wrapped, maxMessageSize: negotiatedMessageSize(pc), close: () => wrapped.close() });
    };
    const onOpen = () => settle(false);
    const onClose = () => settle(true);
    const timer = setTimeout(() => settle(true), LANE_OPEN_TIMEOUT_MS);
    channel.addEventListener('open', onOpen);
    wrapped.addEventListener('close', onClose);
    if (channel.readyState === 'open') settle(false);
  });
}
