/**
 * A Content-Disposition header that makes the browser save a response under `name`
 * (already made safe by names.ts). The plain `filename` is an ASCII stand-in for old
 * clients; `filename*` (RFC 6266 / RFC 8187) carries the real, UTF-8 name.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
