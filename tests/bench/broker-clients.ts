/**
 * One client worker of `npm run bench:broker`: a process (forked by broker.ts)
 * holding thousands of PeerJS-like clients of the broker, each a real WebSocket
 * from a loopback source address of its own choosing, heartbeating every 5 s as
 * PeerJS does. A process of its own because each may hold only 20,000 descriptors.
 *
 * Both ends of every setup and probe are peers of this worker, so one clock times
 * them and the worker knows when each is complete.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket, { type RawData } from 'ws';
import type { AddressBlock, ClientCalls, Opened, Probed, SetupsDone } from './broker-calls.ts';
import { monitorLoop } from './broker-loop.ts';
import { answer, candidate, connectionId, HEARTBEAT, offer, randomName } from './broker-payloads.ts';
import { serve } from './broker-rpc.ts';

/** PeerJS's pingInterval. */
const HEARTBEAT_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** A 429 waited out this many times in a row means the limits, not a burst, refuse us. */
const MAX_RETRIES = 5;
const SETUP_TIMEOUT_MS = 30_000;
/** How long after the last probe an OFFER still counts as delivered rather than lost. */
const PROBE_GRACE_MS = 2_000;
/** Candidates each side sends after the description: four per setup in all. */
const CANDIDATES_EACH = 2;

interface Peer {
  id: string;
  ws: WebSocket;
}

interface Setup {
  candidates: number;
  done: () => void;
}

/** Registered peers whose socket is open. */
const peers: Peer[] = [];
let dropped = 0;
/** In flight, by connection id. */
const setups = new Map<string, Setup>();
/** Probes in flight: when each was sent. */
const probes = new Map<string, number>();
let latencies: number[] = [];
/** A late client loop delays the OFFERs it times as much as a late broker does. */
const loop = monitorLoop();

type Registration = { peer: Peer } | { retryAfter: number } | { refused: string };

/** One client, registered the way PeerJS registers: a WebSocket to the broker, answered with OPEN. */
function register(url: string, address: string): Promise<Registration> {
  const id = randomName(20);
  const target = `${url.replace(/^http/, 'ws')}peerjs/peerjs?key=peerjs&id=${id}&token=${randomName(16)}`;
  const ws = new WebSocket(target, {
    origin: new URL(url).origin,
    localAddress: address,
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  return new Promise((resolve) => {
    const fail = (outcome: Registration) => {
      ws.removeAllListeners();
      ws.on('error', () => {}); // terminate() may still report the aborted handshake
      ws.terminate();
      resolve(outcome);
    };
    ws.once('unexpected-response', (_request, response) => {
      const retryAfter = Number(response.headers['retry-after']);
      fail(response.statusCode === 429 ? { retryAfter: retryAfter > 0 ? retryAfter : 5 } : { refused: `HTTP ${response.statusCode}` });
    });
    ws.once('error', (error) => fail({ refused: error.message }));
    ws.once('close', () => fail({ refused: 'closed before OPEN' }));
    ws.once('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { msg?: string } };
      if (message.type !== 'OPEN') return fail({ refused: message.payload?.msg ?? message.type });
      ws.removeAllListeners();
      resolve({ peer: adopt({ id, ws }) });
    });
  });
}

/** A registered peer: heartbeats, answers what it is sent, counts as dropped if the broker closes it. */
function adopt(peer: Peer): Peer {
  const heartbeat = setInterval(() => peer.ws.send(HEARTBEAT), HEARTBEAT_MS);
  peer.ws.on('message', (data) => receive(peer, data));
  peer.ws.on('error', () => {}); // 'close' follows, and is what counts
  peer.ws.once('close', () => {
    clearInterval(heartbeat);
    peers.splice(peers.indexOf(peer), 1);
    dropped += 1;
  });
  peers.push(peer);
  return peer;
}

/** Plays both ends of PeerJS's exchange: the answerer answers an OFFER, the offerer sends candidates after the ANSWER. */
function receive(peer: Peer, data: RawData): void {
  const message = JSON.parse(String(data)) as { type: string; src: string; payload?: { connectionId?: string } };
  const id = message.payload?.connectionId ?? '';
  const sendCandidates = () => {
    for (let n = 0; n < CANDIDATES_EACH; n++) peer.ws.send(candidate(message.src, id));
  };
  if (message.type === 'OFFER') {
    const sentAt = probes.get(id);
    if (sentAt !== undefined) {
      probes.delete(id);
      latencies.push(performance.now() - sentAt);
    } else if (setups.has(id)) {
      peer.ws.send(answer(message.src, id));
      sendCandidates();
    }
  } else if (message.type === 'ANSWER' && setups.has(id)) {
    sendCandidates();
  } else if (message.type === 'CANDIDATE') {
    const setup = setups.get(id);
    if (setup && ++setup.candidates === 2 * CANDIDATES_EACH) {
      setups.delete(id);
      setup.done();
    }
  }
}

async function open(url: string, blocks: AddressBlock[], concurrency: number): Promise<Opened> {
  const queue = blocks.flatMap(({ address, count }) => Array<string>(count).fill(address));
  const result: Opened = { opened: 0, refused: 0, retried: 0 };
  let next = 0;
  const lane = async () => {
    // After a refusal the broker is full (or failing): asking again would only measure the refusals.
    while (next < queue.length && result.refused === 0) {
      const address = queue[next++]!;
      for (let attempt = 0; ; attempt++) {
        const outcome = await register(url, address);
        if ('peer' in outcome) {
          result.opened += 1;
        } else if ('retryAfter' in outcome && attempt < MAX_RETRIES) {
          result.retried += 1;
          await sleep(outcome.retryAfter * 1000);
          continue;
        } else {
          result.refused += 1;
          result.reason = 'refused' in outcome ? outcome.refused : 'HTTP 429, again and again';
        }
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return result;
}

/** One session setup from `from` to `to`: ms until all four candidates arrived, or null if it never completed. */
function setup(from: Peer, to: Peer): Promise<number | null> {
  const id = connectionId();
  const started = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      setups.delete(id);
      resolve(null);
    }, SETUP_TIMEOUT_MS);
    setups.set(id, {
      candidates: 0,
      done: () => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      },
    });
    from.ws.send(offer(to.id, id));
  });
}

/** Each peer takes part in one setup at most, so no address goes past its message burst. */
async function runSetups(count: number, concurrency: number): Promise<SetupsDone> {
  const shuffled = shuffle([...peers]);
  const pairs = Math.min(count, Math.floor(shuffled.length / 2));
  const result: SetupsDone = { done: 0, failed: 0, ms: 0, setupMs: [] };
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < pairs) {
      const k = next++;
      const ms = await setup(shuffled[2 * k]!, shuffled[2 * k + 1]!);
      if (ms === null) result.failed += 1;
      else result.setupMs.push(ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  result.done = result.setupMs.length;
  result.ms = performance.now() - started;
  return result;
}

/** OFFERs at an even pace between random pairs; each timed from send to arrival. */
async function probe(perSecond: number, seconds: number): Promise<Probed> {
  latencies = [];
  loop.reset();
  const total = Math.round(perSecond * seconds);
  const started = performance.now();
  for (let k = 0; k < total && peers.length >= 2; k++) {
    const wait = started + (k * 1000) / perSecond - performance.now();
    if (wait > 0) await sleep(wait);
    const from = pick();
    let to = pick();
    while (to === from) to = pick();
    const id = connectionId();
    probes.set(id, performance.now());
    from.ws.send(offer(to.id, id));
  }
  await sleep(PROBE_GRACE_MS);
  const lost = probes.size;
  probes.clear();
  return { latencies, lost, loop: loop.read() };
}

const pick = () => peers[Math.floor(Math.random() * peers.length)]!;

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

serve<ClientCalls>({
  open: ({ url, blocks, concurrency }) => open(url, blocks, concurrency),
  setups: ({ count, concurrency }) => runSetups(count, concurrency),
  probe: ({ perSecond, seconds }) => probe(perSecond, seconds),
  status: () => {
    const { user, system } = process.cpuUsage();
    return { open: peers.length, dropped, cpuMs: (user + system) / 1000 };
  },
});
