/**
 * The browser's ways of telling whether the Ferry server at `server` (its origin) is
 * there, for net/presence.ts: one request, and the server's presence stream.
 */
import { PRESENCE_PATH, PRESENCE_SILENCE_MS } from '../common/presence-wire.ts';

/** Long enough for a slow mobile network; short enough that a vanished one fails the check soon. */
const PROBE_TIMEOUT_MS = 3000;

/** Asks the server's health endpoint (cheap, unlimited: what load balancers ask). */
export async function probeServer(server: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/healthz', server), { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Opens the server's presence stream; `onend` hears once that it ended — closed,
 * refused, or silent past its heartbeat — and whether it had opened. The function
 * returned closes it without a word.
 */
export function watchPresence(server: string, onend: (opened: boolean) => void): () => void {
  const url = new URL(PRESENCE_PATH, server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  let opened = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    clearTimeout(timer);
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close();
  };
  const end = () => {
    stop();
    onend(opened);
  };
  // Anything from the server, the opening included, shows it is there for another while.
  const stillThere = () => {
    clearTimeout(timer);
    timer = setTimeout(end, PRESENCE_SILENCE_MS);
  };
  socket.onopen = () => {
    opened = true;
    stillThere();
  };
  socket.onmessage = stillThere;
  socket.onclose = end;
  stillThere();
  return stop;
}
