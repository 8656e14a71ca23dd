/**
 * Streaming downloads: a received, verified file (or a ZIP of all of a transfer's
 * files) served from storage at a same-origin URL, chunk by chunk, with its length and
 * name in the headers. The browser's download manager writes it to disk as it reads,
 * so even a phone saves a multi-gigabyte file without holding it in memory.
 */
import { parseDownloadPath, type DownloadTarget } from '../app/src/common/download-url.ts';
import { NotStoredError } from '../app/src/storage/stored-bytes.ts';
import { findTransferById, verifiedFile, verifiedFiles } from '../app/src/storage/stored-file.ts';
import { zipOf } from '../app/src/storage/zip.ts';
import { safeFileName } from '../app/src/common/names.ts';
import { contentDisposition } from './content-disposition.ts';

export function handleDownload(event: FetchEvent): boolean {
  if (event.request.method !== 'GET') return false;
  const target = parseDownloadPath(new URL(event.request.url).pathname);
  if (!target) return false;
  event.respondWith(download(target).catch(failure));
  return true;
}

async function download({ id, file }: DownloadTarget): Promise<Response> {
  const record = await findTransferById(id);
  if (!record) throw new NotStoredError('This transfer is no longer stored on this device.');
  if (file === 'zip') {
    const zip = zipOf(await verifiedFiles(record));
    return attachment(zip.stream, zip.name, 'application/zip', zip.length);
  }
  const stored = await verifiedFile(record, file);
  return attachment(await stored.open(), safeFileName(stored.name), stored.type || 'application/octet-stream', stored.size);
}

function attachment(body: ReadableStream<Uint8Array>, name: string, type: string, length: number): Response {
  return new Response(body, {
    headers: { 'Content-Type': type, 'Content-Length': String(length), 'Content-Disposition': contentDisposition(name) },
  });
}

/**
 * A failed download stays a download (the page that asked is not navigated away):
 * the browser lists it as failed, and the page, which checks before asking, says why.
 */
function failure(error: unknown): Response {
  const status = error instanceof NotStoredError ? 404 : 500;
  return new Response(`${(error as Error).message}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': 'attachment; filename="ferry-error.txt"' },
  });
}
