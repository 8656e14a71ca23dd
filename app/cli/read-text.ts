/**
 * The text `ferry send --text -` shares, read from standard input: all of it, as
 * UTF-8, and no more than a share carries. Reading stops as soon as the input is
 * too long, so a file piped in by mistake is not read to its end.
 */
import { MAX_TEXT_BYTES } from '../src/transfer/messages.ts';

/** Standard input was not a text that can be shared; the message says why. */
export class UnsendableTextError extends Error {
  override name = 'UnsendableTextError';
}

/**
 * The text in `input`, without the line ends after its last line (as a shell's
 * `$(…)` takes a command's output: `echo hi` shares "hi").
 */
export async function readText(input: AsyncIterable<Uint8Array | string>, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    const part = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    bytes += part.length;
    if (bytes > maxBytes) throw new UnsendableTextError(`the text on standard input is too long: a share carries at most ${maxBytes / 1024} KiB of text (UTF-8)`);
    chunks.push(part);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UnsendableTextError('standard input is not UTF-8 text');
  }
  text = text.replace(/(\r?\n)+$/u, '');
  if (text === '') throw new UnsendableTextError('standard input held no text to share');
  return text;
}
