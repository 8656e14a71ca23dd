// Floods a Ferry broker the ways an attacker would, from many loopback addresses,
// in a process of its own (so the test's real users do not wait on it). Prints one
// JSON line with what the broker did. Usage: broker-attacker.ts <server url>
import WebSocket from 'ws';

const MiB = 1024 * 1024;
const base = `${process.argv[2]!.replace(/^http/, 'ws')}peerjs/peerjs?key=peerjs&token=tok&id=`;

function register(id: string, from: string): Promise<WebSocket> {
  const ws = new WebSocket(base + id, { localAddress: from });
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      if (String(data).includes('"OPEN"')) resolve(ws);
    });
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

const offer = (dst: string, sdp: string) =>
  JSON.stringify({ type: 'OFFER', dst, payload: { sdp: { type: 'offer', sdp }, type: 'data', connectionId: 'dc_x' } });

const open: WebSocket[] = [];

// Six 40 MiB messages (they took `peer` alone from 80 to 449 MiB, for good).
const huge = Buffer.alloc(40 * MiB, 'a');
const hugeCloses = await Promise.all(
  [1, 2, 3, 4, 5, 6].map(async (n) => {
    const ws = await register(`huge${n}`, `127.0.1.${n}`);
    return new Promise<number>((resolve) => {
      ws.once('close', resolve);
      ws.send(huge);
    });
  }),
);

// 300 connections from one address at once.
const burst = await Promise.allSettled(
  Array.from({ length: 300 }, (_, n) => register(`burst${n}`, '127.0.2.1').then((ws) => open.push(ws))),
);

// 60 KB offers to ids nobody holds, from 40 addresses: what the broker may hold for them is capped.
const holders = await Promise.all(Array.from({ length: 40 }, (_, n) => register(`holder${n}`, `127.0.3.${n + 1}`)));
let expired = 0;
for (const [n, ws] of holders.entries()) {
  open.push(ws);
  ws.on('message', (data) => {
    if (String(data).includes('"EXPIRE"')) expired += 1;
  });
  for (let k = 0; k < 20; k++) ws.send(offer(`absent${n}x${k % 4}`, 'a'.repeat(60_000)));
}

// Nested junk, again and again, at someone who is online.
const target = await register('target', '127.0.4.1');
open.push(target);
const junk = await register('junk', '127.0.4.2');
for (let k = 0; k < 100; k++) {
  junk.send(`{"type":"CANDIDATE","dst":"target","payload":{"type":"data","connectionId":"x","candidate":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
}
await new Promise((resolve) => setTimeout(resolve, 1500));

console.log(
  JSON.stringify({
    hugeCloses: [...new Set(hugeCloses)],
    burstAccepted: burst.filter((outcome) => outcome.status === 'fulfilled').length,
    expired,
    targetStillOpen: target.readyState === WebSocket.OPEN,
  }),
);
for (const ws of open) ws.terminate();
junk.terminate();
