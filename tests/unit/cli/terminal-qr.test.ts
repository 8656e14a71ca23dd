import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { QUIET_ZONE, terminalQr } from '../../../app/cli/terminal-qr.ts';
import { newSenderKeys } from '../../../app/src/transfer/auth.ts';
import { newBrokerToken, peerIdFor } from '../../../app/src/common/broker-ids.ts';
import { newSecret, shareLink } from '../../../app/src/transfer/link.ts';

const LIGHT_ON_DARK = '\u001b[97;40m';
const RESET = '\u001b[0m';
/** Upper and lower half of each glyph: light (true) or dark. */
const HALVES: Record<string, [boolean, boolean]> = { '█': [true, true], '▀': [true, false], '▄': [false, true], ' ': [false, false] };
const PIXELS_PER_MODULE = 4;
/** The terminal around the code: its own dark background, some modules wide. */
const TERMINAL_MARGIN = 6;

function link(origin: string): string {
  return shareLink(origin, { peerId: peerIdFor('', newBrokerToken()), secret: newSecret(), senderKey: newSenderKeys().senderKey });
}

/** The lines without their colour codes, which every line must set and reset. */
function glyphs(lines: string[]): string[] {
  return lines.map((line) => {
    expect(line.startsWith(LIGHT_ON_DARK) && line.endsWith(RESET)).toBe(true);
    return line.slice(LIGHT_ON_DARK.length, -RESET.length);
  });
}

/** The picture a terminal shows: light modules white, dark ones and the terminal around them black. */
function rasterise(lines: string[]): { data: Uint8ClampedArray; width: number; height: number } {
  const rows = glyphs(lines).flatMap((line) => {
    const halves = Array.from(line, (glyph) => HALVES[glyph]!);
    return [halves.map(([upper]) => upper), halves.map(([, lower]) => lower)];
  });
  const modules = rows[0]!.length + 2 * TERMINAL_MARGIN;
  const width = modules * PIXELS_PER_MODULE;
  const height = (rows.length + 2 * TERMINAL_MARGIN) * PIXELS_PER_MODULE;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const row = rows[Math.floor(y / PIXELS_PER_MODULE) - TERMINAL_MARGIN];
      const shade = row?.[Math.floor(x / PIXELS_PER_MODULE) - TERMINAL_MARGIN] ? 255 : 0;
      data.set([shade, shade, shade, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

describe('terminalQr', () => {
  it.each(['http://localhost:8080', 'https://ferry.example.org', 'http://192.168.178.20:8080'])(
    'draws a link from %s that scans back to the same link, dark on light, against a dark terminal',
    (origin) => {
      const shared = link(origin);
      const { data, width, height } = rasterise(terminalQr(shared).lines);
      // Not inverted: a scanner that only reads dark-on-light codes must read it.
      expect(jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data).toBe(shared);
    },
  );

  it('surrounds the code with light modules on every side', () => {
    const { lines, columns } = terminalQr(link('http://localhost:8080'));
    const text = glyphs(lines);
    for (const line of text.slice(0, QUIET_ZONE / 2)) expect(line).toBe('█'.repeat(columns));
    // The code has an odd number of rows: the last line's lower half is the terminal.
    for (const line of text.slice(-QUIET_ZONE / 2)) expect(line).toBe('▀'.repeat(columns));
    for (const line of text) {
      expect(line.slice(0, QUIET_ZONE)).toMatch(/^[█▀]+$/);
      expect(line.slice(-QUIET_ZONE)).toMatch(/^[█▀]+$/);
    }
  });

  it('fits a share link in an 80×24 terminal with a line to spare, from an origin of up to 42 characters', () => {
    // Past that the link needs a version-7 code, two lines taller.
    const origin = 'https://ferry.files.example-company.org:84';
    expect(origin).toHaveLength(42);
    const { lines, columns } = terminalQr(link(origin));
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(columns).toBeLessThan(80);
    for (const line of glyphs(lines)) expect(Array.from(line)).toHaveLength(columns);
  });
});
