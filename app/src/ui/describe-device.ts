/**
 * This browser and system in the form every Ferry sends (transfer/device.ts), read
 * from the user agent and, where Chromium offers them, its client hints.
 */
import { deviceText, type Browser, type DeviceParts, type System } from '../transfer/device.ts';

/** What Chromium's User-Agent Client Hints say without asking (navigator.userAgentData). */
export interface PlatformHints {
  platform?: string;
}

/** Browsers by their user-agent token, most specific first: Edge and Samsung Internet also say Chrome, Chrome also says Safari. */
const BROWSERS: [name: Browser, token: RegExp][] = [
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['Edge', /(?:Edg|EdgA|EdgiOS)\/(\d+)/],
  ['Opera', /(?:OPR|OPiOS)\/(\d+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /Version\/(\d+)(?:\.\d+)*(?: Mobile\/\w+)? Safari\//],
];

/** Systems, most specific first: Android says Linux, iOS says "like Mac OS X". */
const SYSTEMS: [name: System, token: RegExp][] = [
  ['Android', /Android/],
  ['iOS', /iPhone|iPad|iPod/],
  ['ChromeOS', /CrOS/],
  ['Windows', /Windows/],
  ['macOS', /Macintosh|Mac OS X/],
  ['Linux', /Linux|X11/],
];

/** Client-hint platform names as Chromium reports them, in the words we use. */
const HINTED: Record<string, System> = {
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
  const parts = deviceParts(userAgent, hints);
  return parts && deviceText(parts);
}

/** What the user agent gives away of the browser and system; null when nothing. */
function deviceParts(userAgent: string, hints: PlatformHints): DeviceParts | null {
  const browser = first(BROWSERS, userAgent);
  const system = (hints.platform ? HINTED[hints.platform] : undefined) ?? first(SYSTEMS, userAgent)?.name ?? null;
  return browser || system ? { browser, system } : null;
}

function first(list: [string, RegExp][], userAgent: string): { name: string; version: string } | null {
  for (const [name, token] of list) {
    const match = token.exec(userAgent);
    if (match) return { name, version: match[1] ?? '' };
  }
  return null;
}
