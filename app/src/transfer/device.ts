/**
 * A short description of a receiver's browser and system ("Chrome 131 on Android"),
 * which it sends in its hello so the person sending can tell receivers apart. It is
 * self-reported: anyone with the link can claim anything, so the sender shows it
 * cleaned, capped and labelled as such (cleanDevice).
 */
import { MAX_DEVICE_LENGTH } from './messages.ts';
import { peerWords } from './peer-link.ts';

/** What Chromium's User-Agent Client Hints say without asking (navigator.userAgentData). */
export interface PlatformHints {
  platform?: string;
}

/** Browsers by their user-agent token, most specific first: Edge and Samsung Internet also say Chrome, Chrome also says Safari. */
const BROWSERS: [name: string, token: RegExp][] = [
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['Edge', /(?:Edg|EdgA|EdgiOS)\/(\d+)/],
  ['Opera', /(?:OPR|OPiOS)\/(\d+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /Version\/(\d+)(?:\.\d+)*(?: Mobile\/\w+)? Safari\//],
];

/** Systems, most specific first: Android says Linux, iOS says "like Mac OS X". */
const SYSTEMS: [name: string, token: RegExp][] = [
  ['Android', /Android/],
  ['iOS', /iPhone|iPad|iPod/],
  ['ChromeOS', /CrOS/],
  ['Windows', /Windows/],
  ['macOS', /Macintosh|Mac OS X/],
  ['Linux', /Linux|X11/],
];

/** Client-hint platform names as Chromium reports them, in the words we use. */
const HINTED: Record<string, string> = {
  Android: 'Android',
  'Chrome OS': 'ChromeOS',
  'Chromium OS': 'ChromeOS',
  Windows: 'Windows',
  macOS: 'macOS',
  Linux: 'Linux',
  iOS: 'iOS',
};

/** "Browser N on System", or as much of it as the user agent gives away; null when nothing. */
export function describeDevice(userAgent: string, hints: PlatformHints = {}): string | null {
  const browser = first(BROWSERS, userAgent);
  const system = (hints.platform ? HINTED[hints.platform] : undefined) ?? first(SYSTEMS, userAgent)?.name ?? null;
  const named = browser ? `${browser.name} ${browser.version}` : null;
  if (named && system) return `${named} on ${system}`;
  return named ?? system;
}

function first(list: [string, RegExp][], userAgent: string): { name: string; version: string } | null {
  for (const [name, token] of list) {
    const match = token.exec(userAgent);
    if (match) return { name, version: match[1] ?? '' };
  }
  return null;
}

/**
 * A peer's device description made safe to show: only ever a quote, without control
 * or bidi characters, at most MAX_DEVICE_LENGTH characters; null when nothing is left.
 */
export function cleanDevice(text: string | undefined): string | null {
  if (text === undefined) return null;
  return peerWords(text, MAX_DEVICE_LENGTH) || null;
}
