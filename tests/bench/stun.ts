/**
 * `node --import tsx tests/bench/stun.ts`: how many Binding requests Ferry's STUN
 * responder answers per second on one core, which is what its whole-server budget
 * (signal-server/stun.ts) is sized to. The responder is the real one
 * (startStunResponder) on this thread, with its limits out of the way; the clients
 * are UDP sockets on loopback in a worker thread (another core), each keeping a few
 * requests in flight and sending the next as each answer comes back. Reported: answers
 * per second, and how busy the responder's event loop was meanwhile (near 100%: the
 * core, not the clients, sets the figure).
 *
 * --seconds N (default 5) measures for N seconds after one second of warm-up.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { startStunResponder } from '../../signal-server/stun.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } });
const seconds = Number(args.seconds);

// Plain JavaScript, so the worker needs no TypeScript loader.
const CLIENTS = `
const dgram = require('node:dgram');
const { parentPort, workerData } = require('node:worker_threads');
const { port, sockets, inFlight } = workerData;
let answers = 0;
function request() {
  const message = Buffer.alloc(20);
  message.writeUInt16BE(0x0001, 0);
  message.writeUInt32BE(0x2112a442, 4);
  for (let i = 8; i < 20; i++) message[i] = Math.floor(Math.random() * 256);
  return message;
}
for (let index = 0; index < sockets; index++) {
  const socket = dgram.createSocket('udp4');
  let heard = 0;
  const send = () => socket.send(request(), port, '127.0.0.1', () => {});
  socket.on('message', () => { answers++; heard++; send(); });
  // Loopback drops datagrams when the responder falls behind: refill the window
  // of any socket that heard nothing for a while.
  let last = 0;
  setInterval(() => { if (heard === last) for (let i = 0; i < inFlight; i++) send(); last = heard; }, 100);
  socket.bind(0, '127.0.0.1', () => { for (let i = 0; i < inFlight; i++) send(); });
}
parentPort.on('message', () => parentPort.postMessage(answers));
`;

const unlimited = { ratePerSecond: 1e9, burst: 1e9, networkPerSecond: 1e9, networkBurst: 1e9, globalPerSecond: 1e9 };
const stun = await startStunResponder({ host: '127.0.0.1', port: 0, ...unlimited });
const worker = new Worker(CLIENTS, { eval: true, workerData: { port: stun.port, sockets: 128, inFlight: 8 } });
const answered = () =>
  new Promise<number>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage('count');
  });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await pause(1000);
const before = { answers: await answered(), loop: performance.eventLoopUtilization(), at: performance.now() };
await pause(seconds * 1000);
const after = { answers: await answered(), at: performance.now() };
const busy = performance.eventLoopUtilization(before.loop).utilization;
const perSecond = ((after.answers - before.answers) * 1000) / (after.at - before.at);
console.log(`STUN Binding answers per second, one core: ${Math.round(perSecond).toLocaleString('en')} (responder's event loop ${Math.round(busy * 100)}% busy, ${seconds} s)`);
await worker.terminate();
await stun.close();
