/**
 * Same-origin URLs the service worker answers with a received file streamed from
 * storage (or a ZIP of all of them). The page only links to them while a service
 * worker controls it; otherwise the request would reach the server, which answers 404.
 */
export const DOWNLOAD_PREFIX = '/ferry-download/';

export type DownloadTarget = { id: string; file: number } | { id: string; file: 'zip' };

export function downloadUrl(id: string, file: number | 'zip'): string {
  return `${DOWNLOAD_PREFIX}${encodeURIComponent(id)}/${file}`;
}

/** The target of a download URL's path, or null if it is not one. */
export function parseDownloadPath(pathname: string): DownloadTarget | null {
  if (!pathname.startsWith(DOWNLOAD_PREFIX)) return null;
  const match = /^([A-Za-z0-9_-]{1,64})\/(zip|0|[1-9][0-9]{0,8})$/.exec(pathname.slice(DOWNLOAD_PREFIX.length));
  if (!match) return null;
  const [, id, file] = match as unknown as [string, string, string];
  return file === 'zip' ? { id, file } : { id, file: Number(file) };
}
