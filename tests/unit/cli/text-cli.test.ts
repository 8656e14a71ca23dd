/**
 * The terminal's side of a shared text: `ferry send --text` and `--text -` on the
 * command line, the text read from standard input, and a received text printed so
 * that it cannot drive the terminal.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER, parseArgs, usageErrorMessage } from '../../../app/cli/args.ts';
import { readText, UnsendableTextError } from '../../../app/cli/read-text.ts';
import { terminalText, textBlock } from '../../../app/cli/terminal-text.ts';
import { MAX_TEXT_BYTES } from '../../../app/src/transfer/messages.ts';

describe('ferry send --text', () => {
  it('shares a text beside files, or alone', () => {
    expect(parseArgs(['send', 'a.txt', '--text', 'hello there'], {})).toEqual({
      ok: true,
      command: { name: 'send', paths: ['a.txt'], server: DEFAULT_SERVER, text: { from: 'argument', text: 'hello there' } },
    });
    expect(parseArgs(['send', '--text=Привет\nмир'], {})).toMatchObject({ command: { paths: [], text: { from: 'argument', text: 'Привет\nмир' } } });
    expect(parseArgs(['send', 'a.txt'], {})).toMatchObject({ command: { text: null } });
  });

  it('reads the text from standard input with --text -', () => {
    expect(parseArgs(['send', '--text', '-'], {})).toMatchObject({ command: { paths: [], text: { from: 'stdin' } } });
    expect(parseArgs(['send', '--text', '-', 'a.txt'], {})).toMatchObject({ command: { paths: ['a.txt'], text: { from: 'stdin' } } });
  });

  it('needs files or a text, a value, and no more than 64 KiB; receive takes none', () => {
    expect(parseArgs(['send'], {})).toEqual({ ok: false, error: { code: 'no-paths' } });
    expect(usageErrorMessage({ code: 'no-paths' })).toMatch(/--text/);
    expect(parseArgs(['send', '--text'], {})).toEqual({ ok: false, error: { code: 'missing-value', option: '--text' } });
    expect(parseArgs(['send', 'a', '--text', 'x'.repeat(MAX_TEXT_BYTES)], {})).toMatchObject({ ok: true });
    const tooLong = parseArgs(['send', '--text', '€'.repeat(MAX_TEXT_BYTES / 3 + 1)], {});
    expect(tooLong).toEqual({ ok: false, error: { code: 'text-too-long' } });
    expect(usageErrorMessage({ code: 'text-too-long' })).toBe('the text is too long: a share carries at most 64 KiB of text (UTF-8)');
    const link = 'https://ferry.example/#/r/abc/def/ghi';
    expect(parseArgs(['receive', link, '--text', 'x'], {})).toEqual({
      ok: false,
      error: { code: 'option-of-other-command', option: '--text', command: 'send', used: 'receive' },
    });
  });
});

describe('the text read from standard input', () => {
  const stdin = (...chunks: (string | Buffer)[]) => Readable.from(chunks);

  it('is all of it, in pieces, without the line ends after its last line', async () => {
    expect(await readText(stdin('Wi-Fi: ', Buffer.from('пароль\r\n'), '\n'))).toBe('Wi-Fi: пароль');
    expect(await readText(stdin('  two\n\nlines \n'))).toBe('  two\n\nlines ');
  });

  it('is refused when too long (stopping there), not UTF-8, or empty', async () => {
    let read = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          read += 1;
          yield Buffer.alloc(16 * 1024, 0x61);
        }
      })(),
    );
    await expect(readText(endless)).rejects.toThrow(/too long: a share carries at most 64 KiB/);
    expect(read).toBe(5);
    await expect(readText(stdin(Buffer.from([0x61, 0xff])))).rejects.toThrow('standard input is not UTF-8 text');
    await expect(readText(stdin('\n\n'))).rejects.toBeInstanceOf(UnsendableTextError);
    expect(await readText(stdin('a'.repeat(MAX_TEXT_BYTES)))).toHaveLength(MAX_TEXT_BYTES);
  });
});

describe('a received text in the terminal', () => {
  it('keeps lines and tabs, and cannot send escape sequences or reorder the line', () => {
    expect(terminalText('a\r\nb\tc\rd')).toBe('a\nb\tc\nd');
    expect(terminalText('\u001b]0;owned\u0007\u001b[2J red \u202Eevil\u2066')).toBe('\uFFFD]0;owned\uFFFD\uFFFD[2J red \uFFFDevil\uFFFD');
    expect(terminalText('Привет 😀')).toBe('Привет 😀');
  });

  it('is set off between rules under a heading', () => {
    const lines = textBlock('one\ntwo').split('\n');
    expect(lines).toEqual(['Text from the sender:', lines[1], 'one', 'two', lines[1]]);
    expect(lines[1]).toMatch(/^─+$/);
  });
});
