/**
 * What `ferry` writes: lines that stay (what happened), and in a terminal one status
 * line below them, redrawn in place (progress). Piped into a log, the status line is
 * left out and progress comes as plain lines every few percent instead. What went
 * wrong goes to the error output, so a script that keeps the output still shows it.
 */
const CLEAR_LINE = '\r\u001b[2K';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Screen {
  readonly #out: Output;
  readonly #errors: Output;
  #status = '';

  /** `errors` is where error lines go (stderr); the status line is always on `out`. */
  constructor(out: Output, errors: Output = out) {
    this.#out = out;
    this.#errors = errors;
  }

  /** Whether the output is a terminal that can redraw a line. */
  get live(): boolean {
    return this.#out.isTTY === true;
  }

  get columns(): number {
    return this.#out.columns || 80;
  }

  /** A line that stays, written above the status line. */
  say(text: string): void {
    this.#above(this.#out, text);
  }

  /** What went wrong, on the error output, above the status line. */
  error(text: string): void {
    this.#above(this.#errors, text);
  }

  #above(to: Output, text: string): void {
    if (this.live && this.#status) this.#out.write(CLEAR_LINE);
    to.write(`${text}\n`);
    if (this.live && this.#status) this.#out.write(this.#status);
  }

  /**
   * Replaces the status line. Elsewhere than in a terminal, each new status is a line
   * of its own: callers send progress there only in a terminal.
   */
  status(line: string): void {
    if (line === this.#status) return;
    this.#status = line;
    this.#out.write(this.live ? CLEAR_LINE + line : `${line}\n`);
  }

  /** Removes the status line, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.live && this.#status) this.#out.write(CLEAR_LINE);
    this.#status = '';
  }
}
