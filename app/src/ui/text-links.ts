/**
 * A shared text as the page shows it: plain text, with the web addresses in it made
 * into links. Only http and https become links (never javascript:, data: or file:),
 * and the page renders every part as text, so a text can never become markup.
 */

/** A run of the text; `href` when it is a web address to link to. */
export interface TextPart {
  text: string;
  href?: string;
}

const ADDRESS = /\bhttps?:\/\/[^\s<>"'`]+/giu;
/** Punctuation that ends a sentence around an address rather than belonging to it. */
const TRAILING = /[.,;:!?'"”’»)\]}]$/u;

/** `text` cut into plain runs and links, in order; joined, the parts are `text` again. */
export function linkedParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(ADDRESS)) {
    const address = trimmed(match[0]);
    const href = webAddress(address);
    if (href === null) continue;
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ text: address, href });
    at = match.index + address.length;
  }
  if (at < text.length || parts.length === 0) parts.push({ text: text.slice(at) });
  return parts;
}

/** The address without the punctuation after it; a ")" stays when it closes a "(" inside (Wikipedia's links). */
function trimmed(address: string): string {
  let end = address.length;
  while (end > 0 && TRAILING.test(address[end - 1]!)) {
    const kept = address.slice(0, end);
    if (address[end - 1] === ')' && count(kept, '(') >= count(kept, ')')) break;
    end -= 1;
  }
  return address.slice(0, end);
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** The address to open, if it is an http or https one the URL parser accepts. */
function webAddress(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
