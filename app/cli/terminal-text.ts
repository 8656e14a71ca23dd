/**
 * A text a sender shared, as `ferry receive` prints it: set off between rules, so it
 * stands apart from what ferry itself says, and made safe for a terminal.
 */

/** Sets a shared text off from the lines around it. */
const RULE = '─'.repeat(40);

/**
 * The text as a terminal may print it: lines and tabs kept, every other control
 * character (escape sequences would drive the terminal) and bidi control (which
 * reorders what is shown) replaced by U+FFFD.
 */
export function terminalText(text: string): string {
  return text.replace(/\r\n?/gu, '\n').replace(/[^\P{Cc}\t\n]|[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu, '\uFFFD');
}

/** The text with its heading and rules, as one block of lines. */
export function textBlock(text: string): string {
  return `Text from the sender:\n${RULE}\n${terminalText(text)}\n${RULE}`;
}
