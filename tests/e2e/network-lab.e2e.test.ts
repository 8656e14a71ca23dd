/**
 * The emulated internet of network-lab.ts, checked with bare RTCPeerConnections
 * (no Ferry app): two Chromium browsers in two homes behind NATs, SDP passed
 * through Node. Cone NATs connect through STUN alone, symmetric NATs only through
 * a TURN relay.
 */
import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Coturn, type Lab, type NatKind } from './network-lab.ts';

const SECRET = 'network-lab-test-secret';

interface PairInfo {
  local?: string;
  remote?: string;
  localAddress?: string;
  remoteAddress?: string;
}

interface Outcome {
  connected: boolean;
  /** From the offerer's setRemoteDescription(answer) to its channel's open (or giving up). */
  ms: number;
  state: string;
  /** The offerer's iceConnectionState changes, with times since its peer was created. */
  states: string[];
  received: string[];
  offerer: PairInfo;
  answerer: PairInfo;
}

declare global {
  interface Window {
    lab?: { pc: RTCPeerConnection; channel?: RTCDataChannel; received: string[]; states: string[] };
  }
}

let lab: Lab;
let coturn: Coturn;

beforeAll(async () => {
  lab = await createLab();
  coturn = await lab.startCoturn({ secret: SECRET });
});

afterAll(async () => {
  if (coturn) {
    const stopping = Date.now();
    await coturn.stop();
    console.log(`coturn stopped in ${Date.now() - stopping} ms`);
  }
  await lab?.close();
});

/** coturn's REST API credentials: the server will mint these; the test does it by hand. */
function turnCredentials(name: string): { username: string; credential: string } {
  const username = `${Math.floor(Date.now() / 1000) + 600}:${name}`;
  return { username, credential: createHmac('sha1', SECRET).update(username).digest('base64') };
}

async function blankPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><title>lab</title>');
  return page;
}

/** Creates the page's peer, with an offer (no `offer`) or an answer to `offer`, and returns its SDP once gathering completes. */
function describeSelf(page: Page, iceServers: RTCIceServer[], offer?: string): Promise<string> {
  return page.evaluate(
    async ({ iceServers, offer }) => {
      const pc = new RTCPeerConnection({ iceServers });
      const state: NonNullable<Window['lab']> = { pc, received: [], states: [] };
      window.lab = state;
      const started = performance.now();
      pc.addEventListener('iceconnectionstatechange', () =>
        state.states.push(`${pc.iceConnectionState}@${Math.round(performance.now() - started)}ms`),
      );
      const listen = (channel: RTCDataChannel) => {
        state.channel = channel;
        channel.onmessage = (event) => state.received.push(String(event.data));
      };
      if (offer) {
        pc.ondatachannel = (event) => listen(event.channel);
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
      } else {
        listen(pc.createDataChannel('lab'));
        await pc.setLocalDescription(await pc.createOffer());
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('ICE gathering did not complete in 20 s')), 20_000);
        const check = () => {
          if (pc.iceGatheringState === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        };
        pc.addEventListener('icegatheringstatechange', check);
        check();
      });
      return pc.localDescription!.sdp;
    },
    { iceServers, offer },
  );
}

/** The selected candidate pair's types and addresses, from getStats(). */
function selectedPair(page: Page): Promise<PairInfo> {
  return page.evaluate(async () => {
    const stats = await window.lab!.pc.getStats();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const byId = new Map<string, any>();
    stats.forEach((report, id) => byId.set(id, report));
    const all = [...byId.values()];
    const pairId = all.find((r) => r.type === 'transport' && r.selectedCandidatePairId)?.selectedCandidatePairId;
    const pair = pairId ? byId.get(pairId) : all.find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
    if (!pair) return {};
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    return {
      local: local?.candidateType,
      remote: remote?.candidateType,
      localAddress: local && `${local.address}:${local.port}`,
      remoteAddress: remote && `${remote.address}:${remote.port}`,
    };
  });
}

/** Two homes with `nat`, a browser in each, one data channel between them: what happened within `timeoutMs`. */
async function connectAcross(nat: NatKind, iceServers: RTCIceServer[], timeoutMs: number): Promise<Outcome> {
  const homes = [await lab.home({ nat }), await lab.home({ nat })] as const;
  try {
    const [offererBrowser, answererBrowser] = await Promise.all(homes.map((home) => home.launchBrowser()));
    const [offerer, answerer] = await Promise.all([blankPage(offererBrowser!), blankPage(answererBrowser!)]);

    const offer = await describeSelf(offerer, iceServers);
    expect(offer).toContain(`c=IN IP4`);
    const answer = await describeSelf(answerer, iceServers, offer);

    const started = Date.now();
    const state = await offerer.evaluate(
      async ({ answer, timeoutMs }) => {
        const { pc, channel } = window.lab!;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        return new Promise<string>((resolve) => {
          const timer = setTimeout(() => resolve(`timeout (${pc.iceConnectionState})`), timeoutMs);
          const done = (result: string) => {
            clearTimeout(timer);
            resolve(result);
          };
          channel!.onopen = () => {
            channel!.send('hello across the NATs');
            done('open');
          };
          pc.addEventListener('iceconnectionstatechange', () => {
            if (pc.iceConnectionState === 'failed') done('failed');
          });
        });
      },
      { answer, timeoutMs },
    );
    const ms = Date.now() - started;
    const connected = state === 'open';
    const received = connected
      ? await answerer
          .waitForFunction(() => window.lab!.received.length > 0, undefined, { timeout: 10_000 })
          .then(() => answerer.evaluate(() => window.lab!.received))
      : [];
    const [offererPair, answererPair] = await Promise.all([selectedPair(offerer), selectedPair(answerer)]);
    const states = await offerer.evaluate(() => window.lab!.states);
    return { connected, ms, state, states, received, offerer: offererPair, answerer: answererPair };
  } finally {
    // Fresh homes per case: conntrack state lives in the routers.
    await Promise.all(homes.map((home) => home.close()));
  }
}

function types(outcome: Outcome): string[] {
  return [outcome.offerer.local, outcome.offerer.remote, outcome.answerer.local, outcome.answerer.remote].map(String);
}

describe('the network lab', () => {
  it('connects two browsers behind cone NATs through STUN alone', async () => {
    const outcome = await connectAcross('cone', [{ urls: coturn.stunUrl }], 30_000);
    console.log(`cone <-> cone via STUN: ${outcome.state} in ${outcome.ms} ms`, outcome.offerer, outcome.answerer);
    expect(outcome.connected).toBe(true);
    expect(outcome.received).toEqual(['hello across the NATs']);
    expect(types(outcome)).not.toContain('relay');
    // Neither can reach the other's private host address: each talks to a NAT mapping.
    expect(['srflx', 'prflx']).toContain(outcome.offerer.remote);
    expect(['srflx', 'prflx']).toContain(outcome.answerer.remote);
    expect(outcome.offerer.remoteAddress).toMatch(/^203\.0\.113\./);
    expect(outcome.answerer.remoteAddress).toMatch(/^203\.0\.113\./);
  });

  it('does not connect two browsers behind symmetric NATs with STUN alone', async () => {
    // Cone NATs connect in well under a second; 15 s without is the NAT doing its job.
    const outcome = await connectAcross('symmetric', [{ urls: coturn.stunUrl }], 15_000);
    console.log(`symmetric <-> symmetric via STUN: ${outcome.state} after ${outcome.ms} ms`, outcome.states);
    expect(outcome.connected).toBe(false);
  });

  it('connects two browsers behind symmetric NATs through a TURN relay', async () => {
    const iceServers = [{ urls: coturn.urls, ...turnCredentials('test') }];
    const outcome = await connectAcross('symmetric', iceServers, 30_000);
    console.log(`symmetric <-> symmetric via TURN: ${outcome.state} in ${outcome.ms} ms`, outcome.offerer, outcome.answerer);
    if (!outcome.connected) console.log(coturn.log());
    expect(outcome.connected).toBe(true);
    expect(outcome.received).toEqual(['hello across the NATs']);
    // One side often selects prflx -> relay while the other selects relay -> relay.
    expect(types(outcome)).toContain('relay');
    // Sends towards private host candidates must not have cost coturn the allocation.
    expect(coturn.log()).not.toMatch(/Network is unreachable/i);
  });
});
