/**
 * A Content-Disposition header that makes the browser save a response under `name`
 * (made safe by app/src/common/names.ts). The plain `filename` is an ASCII stand-in for old clients;
 * `filename*` (RFC 6266 / RFC 8187) carries the real, UTF-8 name.
 *
 * It never throws, whatever `name` holds: a header that cannot be built turns a
 * download into a failed response, so broken UTF-16 (which makes encodeURIComponent
 * throw) is repaired here too, and only printable ASCII reaches the header.
 */
import { wellFormed } from '../app/src/common/unicode.ts';

export function contentDisposition(name: string): string {
  const whole = wellFormed(name);
  const ascii = whole.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(whole).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
