// The broker under floods, as its own process (so its memory can be read from
// /proc), with attackers and real users on different loopback addresses. Figures
// are printed; the assertions are bounds no machine speed can excuse.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
/** What floods may add to the server's resident memory, held messages (16 MiB) included. */
const MEMORY_BOUND = 96 * MiB;

let server: ChildProcess;
let url: string;

beforeAll(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', 'signal-server/main.ts', '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, FERRY_STUN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk) => {
      output += String(chunk);
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
});

afterAll(() => {
  server?.kill();
});

async function rss(): Promise<number> {
  const status = await fs.readFile(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function socketUrl(id: string, token = 'tok'): string {
  return `${url.replace(/^http/, 'ws')}peerjs/peerjs?key=peerjs&id=${id}&token=${token}`;
}

/** Opens a broker connection from `from`; resolves on OPEN, rejects on refusal. */
function register(id: string, from: string): Promise<{ ws: WebSocket; next: (type: string) => Promise<unknown> }> {
  const ws = new WebSocket(socketUrl(id), { localAddress: from });
  const waiting = new Map<string, (message: unknown) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string };
    waiting.get(message.type)?.(message);
  });
  const next = (type: string) => new Promise<unknown>((resolve) => waiting.set(type, resolve));
  const opened = next('OPEN');
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
    void opened.then(() => resolve({ ws, next }));
  });
}

const offer = (dst: string, sdp = 'v=0\r\n') =>
  JSON.stringify({ type: 'OFFER', dst, payload: { sdp: { type: 'offer', sdp }, type: 'data', connectionId: 'dc_x' } });

/** How long a real user needs now: register, and get an offer to another real user. */
async function realUserRoundTrip(round: number): Promise<number> {
  const started = performance.now();
  const sender = await register(`realsender${round}`, '127.0.0.250');
  const receiver = await register(`realreceiver${round}`, '127.0.0.251');
  const arrived = sender.next('OFFER');
  receiver.ws.send(offer(`realsender${round}`));
  await arrived;
  sender.ws.close();
  receiver.ws.close();
  return performance.now() - started;
}

const settled = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the broker under floods', () => {
  it('keeps its memory bounded and serves real users while attacked from many addresses', async () => {
    await realUserRoundTrip(0); // warm up
    const baseline = await rss();
    let peak = baseline;
    const sampling = setInterval(() => void rss().then((now) => (peak = Math.max(peak, now))), 100);

    const attacker = spawn(process.execPath, ['--import', 'tsx', 'tests/e2e/broker-attacker.ts', url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report = '';
    attacker.stdout!.on('data', (chunk) => (report += String(chunk)));
    const finished = new Promise((resolve) => attacker.once('exit', resolve));

    const times: number[] = [];
    let round = 1;
    while (attacker.exitCode === null) {
      times.push(await realUserRoundTrip(round++));
      await settled(200);
    }
    await finished;
    clearInterval(sampling);
    const result = JSON.parse(report) as { hugeCloses: number[]; burstAccepted: number; expired: number; targetStillOpen: boolean };

    console.log(
      `broker flood: RSS ${(baseline / MiB).toFixed(0)} MiB before, ${(peak / MiB).toFixed(0)} MiB at the peak ` +
        `(bound +${MEMORY_BOUND / MiB}); ${JSON.stringify(result)}; ` +
        `real user round trips (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`,
    );
    // Dropped at once: "too big" (1009) when the close frame made it out first, else 1006.
    expect(result.hugeCloses.every((code) => code === 1009 || code === 1006)).toBe(true);
    expect(result.burstAccepted).toBeLessThanOrEqual(50);
    expect(result.expired).toBeGreaterThan(0);
    expect(result.targetStillOpen).toBe(true);
    expect(peak - baseline).toBeLessThan(MEMORY_BOUND);
    // Served throughout: every round trip well inside a dial's patience (10 s to reach the server).
    expect(times.length).toBeGreaterThan(2);
    expect(Math.max(...times)).toBeLessThan(5_000);
  });
});
