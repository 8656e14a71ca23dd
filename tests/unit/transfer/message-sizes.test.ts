/** The transfer core under message sizes a peer negotiates: far larger than it sends, or too small to work with. */
import { describe, expect, it } from 'vitest';
import { DATA_HEADER_BYTES, MIN_MESSAGE_SIZE } from '../../../app/src/transfer/frames.ts';
import { ReceiverSession, type ReceiverSnapshot } from '../../../app/src/transfer/receiver.ts';
import { SenderSession, type SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import { channelPair } from '../support/fake-channel.ts';
import { memoryStore } from '../support/memory-store.ts';
import { memoryFile, newLinkKeys, randomFile, receiverPrints, senderPrints, wire } from '../support/transfer-harness.ts';
import { settle } from './raw-peers.ts';

const MiB = 1024 * 1024;

describe('a peer that negotiates a huge maxMessageSize (Firefox: about 1 GiB)', () => {
  it('still sends messages of at most 256 KiB', async () => {
    const files = [randomFile('a', 3 * MiB)];
    const run = wire(files, { maxMessageSize: 1024 * MiB });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    // A 256 KiB block and its header are one message too many: two halves, each far from the cap.
    expect(run.senderChannel.largestMessage).toBeLessThanOrEqual(256 * 1024);
    expect(run.senderChannel.largestMessage).toBe(128 * 1024 + DATA_HEADER_BYTES);
  });
});

describe('a connection negotiated for tiny messages (a session description rewritten on the way)', () => {
  it.each([13, 1024, MIN_MESSAGE_SIZE - 1, 0, Number.NaN])('of %s bytes: the receiver refuses to start, says why, sends nothing', async (size) => {
    const [, receiverChannel] = channelPair();
    const [onchange, ended] = settle<ReceiverSnapshot>();
    const receiver = new ReceiverSession({
      channel: receiverChannel,
      maxMessageSize: size,
      fingerprints: receiverPrints,
      ...newLinkKeys(),
      helloTimeoutMs: 50,
      openStore: async (files) => memoryStore(files),
      onchange,
    });
    void receiver.start();
    const snapshot = await ended;
    expect(snapshot.error).toBe(
      `The connection was set up for messages of only ${size} bytes, which no browser does: the Ferry server or the network may have tampered with it. Nothing was sent.`,
    );
    // Dialling again through the same broker would only meet the same.
    expect(snapshot.disconnected).toBe(false);
    expect(receiverChannel.messagesSent).toBe(0);
    expect(receiverChannel.readyState).not.toBe('open');
  });

  it('the sender refuses too', async () => {
    const [senderChannel] = channelPair();
    const [onchange, ended] = settle<SenderSnapshot>();
    const sender = new SenderSession({ channel: senderChannel, maxMessageSize: 13, fingerprints: senderPrints, ...newLinkKeys(), files: [], onchange, helloTimeoutMs: 50 });
    void sender.start();
    expect((await ended).error).toMatch(/messages of only 13 bytes/);
    expect(senderChannel.messagesSent).toBe(0);
  });

  it('at exactly the floor a transfer works, its manifest in many parts', async () => {
    const files = Array.from({ length: 600 }, (_, i) => memoryFile(`folder/${i}.txt`, new TextEncoder().encode(String(i))));
    files.push(randomFile('big.bin', MiB / 2));
    const run = wire(files, { maxMessageSize: MIN_MESSAGE_SIZE });
    const { receiver } = await run.settled;
    expect(receiver.state).toBe('done');
    expect(run.senderChannel.largestMessage).toBe(MIN_MESSAGE_SIZE);
  }, 20_000);
});
