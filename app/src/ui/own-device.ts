/** This browser and system, as the other side's person will see them (labelled self-reported there). */
import { describeDevice } from '../transfer/device.ts';

export function ownDevice(): string | null {
  // Client hints, where the browser has them, name the system even when the user agent is frozen.
  const hints = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return describeDevice(navigator.userAgent, { platform: hints?.platform });
}
