/** How the terminal client describes itself to the other side (shown there as self-reported). */
import { type as systemName } from 'node:os';
import packageJson from '../../package.json' with { type: 'json' };

export function ownDevice(): string {
  return `ferry ${packageJson.version} on ${systemName()}`;
}
