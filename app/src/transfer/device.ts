/**
 * A short description of a browser and system ("Chrome 131 on Android"), which each
 * side sends so the other's person can tell devices apart. It is self-reported: anyone
 * with the link can claim anything, so it is shown cleaned, capped and labelled as such
 * (cleanDevice).
 *
 * It travels as text in one fixed form, "<browser> <version> on <system>" with names
 * from closed lists, which every Ferry has sent. The page reads its own from the user
 * agent (ui/describe-device.ts), the terminal from Node (app/cli/own-device.ts); the
 * page that shows one reads the parts back (readDevice) and words them in its own
 * language; anything else — a name a person gave their device, an unknown browser —
 * is shown as it came.
 */
import { MAX_DEVICE_LENGTH } from './messages.ts';
import { peerWords } from './peer-link.ts';

/** The browsers a description may name, as the page reads them from its user agent. */
export const BROWSERS = ['Samsung Internet', 'Edge', 'Opera', 'Firefox', 'Chrome', 'Safari'] as const;
export type Browser = (typeof BROWSERS)[number];

/** The systems a description may name. */
export const SYSTEMS = ['Android', 'iOS', 'ChromeOS', 'Windows', 'macOS', 'Linux'] as const;
export type System = (typeof SYSTEMS)[number];

/** The terminal client (app/cli), which names itself and its version like a browser. */
export const TERMINAL = 'ferry';

/** A device's description in parts; at least one of browser and system is known. */
export interface DeviceParts {
  /** One of BROWSERS, or TERMINAL; with its version. */
  browser: { name: string; version: string } | null;
  /** One of SYSTEMS. */
  system: string | null;
}

/** The parts as they travel: "Browser N on System", or as much of it as is known. */
export function deviceText({ browser, system }: DeviceParts): string {
  const named = browser && `${browser.name} ${browser.version}`;
  return named && system ? `${named} on ${system}` : (named ?? system ?? '');
}

const BROWSER_NAMES = new Set<string>([...BROWSERS, TERMINAL]);
const SYSTEM_NAMES = new Set<string>(SYSTEMS);

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

/**
 * A peer's device description made safe to show: only ever a quote, without control
 * or bidi characters, at most MAX_DEVICE_LENGTH characters; null when nothing is left.
 */
export function cleanDevice(text: string | undefined): string | null {
  if (text === undefined) return null;
  return peerWords(text, MAX_DEVICE_LENGTH) || null;
}
