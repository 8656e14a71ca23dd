/**
 * How this device introduces itself to the other side (shown there as self-reported):
 * the name the person gave it, else its browser and system.
 */
import { MAX_DEVICE_LENGTH } from '../transfer/messages.ts';
import { describeDevice } from './describe-device.ts';

const KEY = 'ferry-device-name';
/** The name chosen on this page, for when storage refuses to keep it. */
let unkept: string | null = null;

export function ownDevice(): string | null {
  return chosenName() || describedDevice();
}

/** This browser and system, in its own words ("Chrome 131 on Android"). */
export function describedDevice(): string | null {
  // Client hints, where the browser has them, name the system even when the user agent is frozen.
  const hints = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return describeDevice(navigator.userAgent, { platform: hints?.platform });
}

/** The name the person gave this device, or '' for none. */
export function chosenName(): string {
  if (unkept !== null) return unkept;
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage refused (some private windows): no name
  }
}

/** Remembers `name` for this device ('' forgets it); returns what was kept. */
export function chooseName(name: string): string {
  const kept = name.trim().slice(0, MAX_DEVICE_LENGTH);
  try {
    if (kept) localStorage.setItem(KEY, kept);
    else localStorage.removeItem(KEY);
    unkept = null;
  } catch {
    unkept = kept; // not kept past this page, still used on it
  }
  return kept;
}
