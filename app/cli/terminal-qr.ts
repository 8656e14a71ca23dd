/**
 * A share link as a QR code drawn in text, for a phone to scan off the terminal.
 * Each character is one module wide and two tall (upper and lower half blocks), which
 * keeps the code square in a terminal's tall cells, and a share link's code within
 * 80×24 with a line to spare while the link's origin is at most 42 characters.
 *
 * The colours are set rather than left to the theme, so the code is dark on light
 * in any terminal: the glyphs draw the light modules in bright white on a black
 * background. Should the colours be dropped, a dark terminal (the common case) still
 * shows the code the right way round.
 */
import QRCode from 'qrcode';

/**
 * Light modules around the code, as the web app's QR code has (QrCode.svelte): without
 * them scanners cannot find the code's edge against the terminal's dark background.
 */
export const QUIET_ZONE = 2;

const LIGHT_ON_DARK = '\u001b[97;40m';
const RESET = '\u001b[0m';
/** Indexed by (upper light ? 2 : 0) + (lower light ? 1 : 0). */
const HALF_BLOCKS = [' ', '▄', '▀', '█'];

export interface TerminalQr {
  /** Each with its colours set at the start and reset at the end. */
  lines: string[];
  /** Terminal columns each line takes. */
  columns: number;
}

/**
 * `text` as a QR code. Error correction 'L': a screen shows every module intact, and
 * the smallest code is the likeliest to fit the terminal.
 */
export function terminalQr(text: string): TerminalQr {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const side = modules.size + 2 * QUIET_ZONE;
  // Below the last row (an odd count) is the terminal, not the code: dark.
  const light = (row: number, column: number) => {
    if (row >= side) return false;
    const [y, x] = [row - QUIET_ZONE, column - QUIET_ZONE];
    const inCode = y >= 0 && y < modules.size && x >= 0 && x < modules.size;
    return !inCode || !modules.get(y, x);
  };
  const lines: string[] = [];
  for (let row = 0; row < side; row += 2) {
    let line = '';
    for (let column = 0; column < side; column++) {
      line += HALF_BLOCKS[(light(row, column) ? 2 : 0) + (light(row + 1, column) ? 1 : 0)];
    }
    lines.push(LIGHT_ON_DARK + line + RESET);
  }
  return { lines, columns: side };
}
