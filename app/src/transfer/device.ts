/**
 * A short description of a browser and system ("Chrome 131 on Android"), which each
 * side sends so the other's person can tell devices apart. It is self-reported: anyone
 * with the link can claim anything, so it is shown cleaned, capped and labelled as such
 * (cleanDevice).
 *
 * It travels as text in one fixed form, "<browser> <version> on <system>" with names
 * from closed lists, which every Ferry has sent. The page that shows it reads the parts
 * back (readDevice) and words them in its own language; anything else — a name a person
 * gave their device, an unknown browser — is shown as it came.
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

/** The terminal client (app/cli), which names itself and its version like a browser. */
export const TERMINAL = 'ferry';

/** A device's description in parts; at least one of browser and system is known. */
export interface DeviceParts {
  /** One of BROWSERS, or TERMINAL; with its version. */
  browser: { name: string; version: string } | null;
  /** One of SYSTEMS. */
  system: string | null;
}

/** What the user agent gives away of the browser and system; null when nothing. */
function deviceParts(userAgent: string, hints: PlatformHints = {}): DeviceParts | null {
  const browser = first(BROWSERS, userAgent);
  const system = (hints.platform ? HINTED[hints.platform] : undefined) ?? first(SYSTEMS, userAgent)?.name ?? null;
  return browser || system ? { browser, system } : null;
}

/** The parts as they travel: "Browser N on System", or as much of it as is known. */
export function deviceText({ browser, system }: DeviceParts): string {
  const named = browser && `${browser.name} ${browser.version}`;
  return named && system ? `${named} on ${system}` : (named ?? system ?? '');
}

/** "Browser N on System", or as much of it as the user agent gives away; null when nothing. */
export function describeDevice(userAgent: string, hints: PlatformHints = {}): string | null {
  const parts = deviceParts(userAgent, hints);
  return parts && deviceText(parts);
}

const BROWSER_NAMES = new Set([...BROWSERS.map(([name]) => name), TERMINAL]);
const SYSTEM_NAMES = new Set(SYSTEMS.map(([name]) => name));

/**
 * A received description read back into its parts, when it has deviceText's form;
 * null for anything else, such as a name a person gave their device.
 */
export function readDevice(text: string): DeviceParts | null {
  if (SYSTEM_NAMES.has(text)) return { browser: null, system: text };
  const browser = readBrowser(text);
  if (browser) return { browser, system: null };
  const [named = '', system = '', ...more] = text.split(' on ');
  const paired = readBrowser(named);
  return paired && SYSTEM_NAMES.has(system) && more.length === 0 ? { browser: paired, system } : null;
}

/** "Chrome 131", "ferry 0.1.0": a known name and a version. */
function readBrowser(text: string): DeviceParts['browser'] {
  const match = /^(.+) (\d+(?:\.\d+)*)$/.exec(text);
  return match && BROWSER_NAMES.has(match[1]!) ? { name: match[1]!, version: match[2]! } : null;
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
