/**
 * The rules a name written to disk must follow, restated independently of names.ts
 * (Windows' device names by its own rule, UTF-8 bytes by TextEncoder), for the
 * property tests of names and of unique names.
 */

export const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();
export const bytes = (text: string) => new TextEncoder().encode(text).length;

/** Windows' rule: the part before the first dot, trailing spaces trimmed, is a device name. */
const DEVICES = new Set(['CON', 'PRN', 'AUX', 'NUL', 'CONIN$', 'CONOUT$', 'CLOCK$']);
for (const port of ['COM', 'LPT']) for (const digit of '0123456789¹²³') DEVICES.add(port + digit);
const reserved = (name: string) => DEVICES.has(name.split('.')[0]!.replace(/ +$/, '').toUpperCase());

/** Subdivision flags are the one place invisible tag characters belong. */
export const withoutFlags = (name: string) => name.replace(/\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu, '🏴');

/** The rules that `name` breaks, by name; [] for a safe one. */
export function broken(name: string): string[] {
  const rules: [string, boolean][] = [
    ['well-formed', isWellFormed(name)],
    ['non-empty', name !== ''],
    ['not a device name', !reserved(name)],
    ['no separators or characters Windows forbids', !/[/\\<>:"|?*]/.test(name)],
    ['no controls or format characters', !/[\p{Cc}\u2028\u2029]|(?![\u200C\u200D])\p{Cf}/u.test(withoutFlags(name))],
    ['no dot or space at either end', !/^[.\s]|[.\s]$/u.test(name)],
    ['starts with something visible', !/^\p{Default_Ignorable_Code_Point}/u.test(name)],
    ['at most 200 UTF-8 bytes', bytes(name) <= 200],
  ];
  return rules.flatMap(([rule, kept]) => (kept ? [] : [rule]));
}
