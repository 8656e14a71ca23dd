/**
 * The Web Share Target: "Share → Ferry" on Android posts the files here. The POST is
 * answered at once with a redirect to the app (a page cannot be given a POST body),
 * and the files are handed over when that page says it is ready for them, with who
 * posted them: any web page can post here too (app/src/common/share-from.ts).
 */
import { shareFrom, type ShareFrom } from '../app/src/common/share-from.ts';
import { SHARE_TARGET_PATH, SHARED_FILES_QUERY, type WorkerMessage } from '../app/src/common/sw-messages.ts';

declare const self: ServiceWorkerGlobalScope;

/** A page that never says it is ready (closed at once, say) is given up on after this. */
const READY_TIMEOUT_MS = 60_000;

/** Waits for a page's "ready", by the client id of the page that was redirected ('' when the browser does not say). */
const waiting = new Map<string, (clientId: string) => void>();
/** Pages that said they were ready before anything waited for them. */
const readyEarly = new Set<string>();

export function handleShareTarget(event: FetchEvent): boolean {
  const { pathname } = new URL(event.request.url);
  if (event.request.method !== 'POST' || pathname !== SHARE_TARGET_PATH) return false;
  event.respondWith(Response.redirect(`/?${SHARED_FILES_QUERY}`, 303));
  // Only the worker sees who posted the files; the page, which knows what is being shared, decides.
  event.waitUntil(deliver(event.request, event.resultingClientId, shareFrom(event.request.referrer, self.location.origin)));
  return true;
}

/** Call for every message a page posts: notes a page that is ready for shared files. */
export function noteShareReady(event: ExtendableMessageEvent): void {
  const source = event.source as Client | null;
  if ((event.data as { type?: unknown } | null)?.type !== 'share-ready' || !source) return;
  const waiter = waiting.get(source.id) ?? waiting.get('');
  if (waiter) waiter(source.id);
  else readyEarly.add(source.id);
}

async function deliver(request: Request, redirectedClient: string, from: ShareFrom): Promise<void> {
  const form = await request.formData();
  const files = form.getAll('files').filter((value): value is File => typeof value !== 'string');
  const clientId = await readyPage(redirectedClient);
  const client = clientId ? await self.clients.get(clientId) : undefined;
  const message: WorkerMessage = { type: 'shared-files', files, from };
  client?.postMessage(message);
}

/** The id of the page that said it is ready for the files, or null if none did in time. */
function readyPage(redirectedClient: string): Promise<string | null> {
  const early = redirectedClient ? (readyEarly.has(redirectedClient) ? redirectedClient : undefined) : [...readyEarly][0];
  if (early !== undefined) {
    readyEarly.delete(early);
    return Promise.resolve(early);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), READY_TIMEOUT_MS);
    const finish = (clientId: string | null) => {
      clearTimeout(timer);
      waiting.delete(redirectedClient);
      resolve(clientId);
    };
    waiting.set(redirectedClient, finish);
  });
}
