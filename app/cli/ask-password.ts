/**
 * Asks for a password at the terminal without showing it, as ssh and sudo do. Resolves
 * with null when there is no terminal to ask at, or the person ends the input (Ctrl-D).
 */
import { createInterface } from 'node:readline';

export function askPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string | null> {
  if (!input.isTTY) return Promise.resolve(null);
  return new Promise((resolve) => {
    let muted = false;
    // readline echoes through the output it is given: hide everything after the prompt.
    const quiet = Object.create(output) as NodeJS.WriteStream;
    quiet.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      muted ? true : (output.write as (...args: unknown[]) => boolean)(chunk, ...rest)) as typeof output.write;
    const lines = createInterface({ input, output: quiet, terminal: true });
    let answered = false;
    lines.question(prompt, (answer) => {
      answered = true;
      lines.close();
      output.write('\n');
      resolve(answer);
    });
    muted = true;
    lines.on('close', () => answered || resolve(null));
    // In raw mode Ctrl-C reaches readline, not the process: pass it on, so it stops ferry as anywhere else.
    lines.on('SIGINT', () => {
      // Not an answer, nor the end of input: the stop that follows says what happened.
      answered = true;
      lines.close();
      process.kill(process.pid, 'SIGINT');
    });
  });
}
