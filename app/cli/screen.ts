/**
 * What `ferry` writes: lines that stay (what happened), and in a terminal one status
 * line below them, redrawn in place (progress). Piped into a log, the status line is
 * left out and progress comes as plain lines every few percent instead.
 */
const CLEAR_LINE = '\r\u001b[2K';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class Screen {
  readonly #out: Output;
  #status = '';

  constructor(out: Output) {
    this.#out = out;
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
    if (this.live && this.#status) this.#out.write(CLEAR_LINE);
    this.#out.write(`${text}\n`);
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
