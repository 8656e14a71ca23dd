/**
 * Lanes (lanes.ts): a transfer with much to fetch spreads its blocks over further
 * connections, each checked alone; lanes are offered only to a sender that takes them,
 * and a lane that breaks leaves the rest to the others.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../app/src/transfer/block-tree.ts';
import { LANES_FROM_BYTES, MAX_LANES } from '../../../app/src/transfer/lanes.ts';
import { fakeLanes } from '../support/fake-lanes.ts';
import { damageData, heldFile, randomFile, rootOf, sha256, treesKnowing, until, wire, type WireOptions } from '../support/transfer-harness.ts';
import type { FileSource } from '../../../app/src/transfer/file-source.ts';

const MiB = 1024 * 1024;
const DATA = 0x10;

/** Payload bytes a channel carried in DATA frames. */
function dataBytes(frames: Uint8Array[]): number {
  return frames.filter((frame) => frame[0] === DATA).reduce((sum, frame) => sum + frame.length - 13, 0);
}

/** Records every frame sent on a fake channel. */
function recorded(channel: { send(frame: Uint8Array<ArrayBuffer>): void }): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const send = channel.send.bind(channel);
  channel.send = (frame) => {
    frames.push(frame);
    send(frame);
  };
  return frames;
}

/**
 * A transfer of `file` whose sender reads nothing past the first byte until every lane
 * has opened: each lane has asked for its window by then, so each carries blocks.
 */
async function withAllLanes(file: FileSource, options: WireOptions = {}) {
  const held = heldFile(file);
  const lanes = fakeLanes(options);
  const run = wire([held.source], { ...options, trees: await treesKnowing(file), senderLanes: lanes.sender, receiverLanes: lanes.receiver });
  const own = recorded(run.senderChannel);
  await until(run.watchReceiver, (snapshot) => snapshot.lanes === MAX_LANES);
  return { run, lanes, own, release: held.release };
}

describe('lanes', () => {
  it('carry blocks of a large transfer beside the first connection, every byte verified', async () => {
    const file = randomFile('film.mkv', LANES_FROM_BYTES + 4 * MiB + 123);
    const { run, lanes, own, release } = await withAllLanes(file);
    release();
    const { sender, receiver } = await run.settled;
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'], lanes: MAX_LANES });
    expect(sender.state).toBe('done');
    expect(lanes.opened).toHaveLength(MAX_LANES - 1);
    expect(new Set(run.requests.map((request) => request.lane ?? 0))).toEqual(new Set(Array.from({ length: MAX_LANES }, (_, lane) => lane)));
    // Each lane carried blocks, and all of them together the file once.
    const carried = lanes.opened.map(([senderEnd]) => senderEnd.messagesSent);
    expect(carried.every((messages) => messages > 0)).toBe(true);
    expect(sender.sentBytes).toBe(file.size);
    expect(dataBytes(own)).toBeLessThan(file.size);
    expect(sha256(run.store().bytes(0))).toBe(sha256(file.bytes));
    expect(run.store().verified[0]).toBe(await rootOf(file.bytes));
    expect(run.store().written).toBe(file.size);
    // Done: every lane's connection is closed with the first, on both sides.
    expect(lanes.closed()).toBeGreaterThanOrEqual(MAX_LANES - 1);
  });

  it('refetch a block damaged on a lane alone, on whichever lane asks next', async () => {
    const file = randomFile('film.mkv', LANES_FROM_BYTES + 8 * MiB);
    // Blocks past the first window go on lanes: damage one of those, once.
    const damaged = 6 * BLOCK_SIZE * 4;
    const damage = damageData(damaged);
    const { run, release } = await withAllLanes(file, { tamper: damage.tamper });
    release();
    const { sender, receiver } = await run.settled;
    expect(damage.damaged()).toBe(1);
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'] });
    expect(sender.sentBytes - file.size).toBe(BLOCK_SIZE);
    const again = run.requests.flatMap((request) => request.ranges).filter((range) => range.start === damaged);
    expect(again.at(-1)).toEqual({ file: 0, start: damaged, end: damaged + BLOCK_SIZE });
    expect(sha256(run.store().bytes(0))).toBe(sha256(file.bytes));
    expect(run.store().written).toBe(file.size);
  });

  it('are not offered for a small transfer, nor to a sender that takes none', async () => {
    const small = randomFile('small.bin', LANES_FROM_BYTES - 1);
    const lanes = fakeLanes();
    const run = wire([small], { senderLanes: lanes.sender, receiverLanes: lanes.receiver });
    expect((await run.settled).receiver).toMatchObject({ state: 'done', lanes: 1 });
    expect(lanes.opened).toHaveLength(0);

    const large = randomFile('large.bin', LANES_FROM_BYTES);
    const offered = fakeLanes();
    const old = wire([large], { receiverLanes: offered.receiver });
    expect((await old.settled).receiver).toMatchObject({ state: 'done', lanes: 1 });
    expect(old.requests.every((request) => request.lane === undefined)).toBe(true);
  });

  it('go on without one that closes under the transfer: what it was asked is asked of the others', async () => {
    const file = randomFile('film.mkv', LANES_FROM_BYTES + 8 * MiB);
    const { run, lanes, release } = await withAllLanes(file);
    lanes.opened[1]![0].drop();
    await until(run.watchReceiver, (snapshot) => snapshot.lanes === MAX_LANES - 1);
    release();
    const { receiver, sender } = await run.settled;
    expect(receiver).toMatchObject({ state: 'done', outcomes: ['verified'], lanes: MAX_LANES - 1 });
    expect(sender.state).toBe('done');
    expect(sha256(run.store().bytes(0))).toBe(sha256(file.bytes));
    expect(run.store().written).toBe(file.size);
  });

  it('close when the sender ends the link, and the receiver hears why rather than calling again', async () => {
    const file = randomFile('film.mkv', LANES_FROM_BYTES + 8 * MiB);
    const { run, lanes, release } = await withAllLanes(file);
    await run.sender.end('stopped');
    const { receiver } = await run.settled;
    release();
    expect(receiver).toMatchObject({ state: 'ended', ended: 'stopped', disconnected: false });
    expect(lanes.opened.every(([senderEnd]) => senderEnd.readyState !== 'open')).toBe(true);
  });
});
