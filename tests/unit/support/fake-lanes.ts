/**
 * Lanes (transfer/lanes.ts) over in-memory channel pairs: the receiver's offer names a
 * lane, the sender's answer opens a channel pair for it, one end each. Every lane
 * opened is kept, so a test can look at what each carried or cut one. The first lane
 * offered opens last, as a slow path would make it: lanes join in any order.
 */
import type { Lane, LaneMaker } from '../../../app/src/transfer/channel.ts';
import { channelPair, type FakeChannel, type PairOptions } from './fake-channel.ts';

export interface FakeLanes {
  /** The receiver's side: offers lanes. */
  receiver: LaneMaker;
  /** The sender's side: answers them. */
  sender: LaneMaker;
  /** Each lane opened, in the order the sender answered: [the sender's end, the receiver's]. */
  opened: [FakeChannel, FakeChannel][];
  /** Lanes whose connection was closed, by either side. */
  closed: () => number;
}

export function fakeLanes(options: PairOptions = {}): FakeLanes {
  const opened: FakeLanes['opened'] = [];
  /** The receiver's end of each answered lane, by its offer, until it accepts the answer. */
  const answered = new Map<string, FakeChannel>();
  let offers = 0;
  let closed = 0;
  let anotherOpened!: () => void;
  const another = new Promise<void>((resolve) => (anotherOpened = resolve));
  const lane = (channel: FakeChannel): Lane => ({
    channel,
    maxMessageSize: channel.maxMessageSize,
    // At once, both ends, as closing a peer connection does: before what the first connection still carries.
    close: () => {
      closed += 1;
      channel.drop();
    },
  });
  return {
    opened,
    closed: () => closed,
    receiver: {
      offer: async () => {
        const number = ++offers;
        const sdp = `offer ${number}`;
        return {
          sdp,
          accept: async (answer) => {
            const channel = answered.get(answer);
            if (!channel) throw new Error(`no lane answers ${answer}`);
            answered.delete(answer);
            if (number === 1) await another;
            else anotherOpened();
            return lane(channel);
          },
          close: () => {
            closed += 1;
          },
        };
      },
      answer: () => Promise.reject(new Error('a receiver answers no lanes')),
    },
    sender: {
      offer: () => Promise.reject(new Error('a sender offers no lanes')),
      answer: async (offer) => {
        const pair = channelPair(options);
        opened.push(pair);
        const sdp = `answer to ${offer}`;
        answered.set(sdp, pair[1]);
        return { sdp, lane: Promise.resolve(lane(pair[0])), close: () => (closed += 1) };
      },
    },
  };
}
