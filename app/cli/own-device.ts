/** How the terminal client describes itself to the other side (shown there as self-reported). */
import { type as systemName } from 'node:os';
import packageJson from '../../package.json' with { type: 'json' };
import { deviceText, TERMINAL } from '../src/transfer/device.ts';

/** os.type() names, in the words the browsers' descriptions use (device.ts SYSTEMS). */
const SYSTEMS: Record<string, string> = { Linux: 'Linux', Darwin: 'macOS', Windows_NT: 'Windows' };

export function ownDevice(): string {
  const system = systemName();
  // A system the list lacks travels as it is, and is shown as it came.
  return deviceText({ browser: { name: TERMINAL, version: packageJson.version }, system: SYSTEMS[system] ?? system });
}
