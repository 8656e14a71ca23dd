import { describe, expect, it } from 'vitest';
import { Screen, type Output } from '../../../app/cli/screen.ts';

/** An output that records what is written to it. */
function recorder(isTTY: boolean): Output & { text: string } {
  return {
    text: '',
    isTTY,
    write(text: string) {
      this.text += text;
    },
  };
}

/** A screen on a terminal (`isTTY`) or a pipe, with its two outputs recorded. */
function recordedScreen(isTTY: boolean) {
  const out = recorder(isTTY);
  const errors = recorder(isTTY);
  return { out, errors, screen: new Screen(out, errors) };
}

describe('the screen', () => {
  it('writes what went wrong to the error output, and what happened to the output', () => {
    const { out, errors, screen } = recordedScreen(false);
    screen.say('Receiving a.bin');
    screen.error('The sender stopped sharing this link.');
    expect(out.text).toBe('Receiving a.bin\n');
    expect(errors.text).toBe('The sender stopped sharing this link.\n');
  });

  it('in a terminal, lifts the status line for an error and draws it again below', () => {
    const { out, errors, screen } = recordedScreen(true);
    screen.status('Connecting…');
    screen.error('Cannot reach the Ferry server.');
    expect(out.text).toBe('\r\u001b[2KConnecting…\r\u001b[2KConnecting…');
    expect(errors.text).toBe('Cannot reach the Ferry server.\n');
  });
});
