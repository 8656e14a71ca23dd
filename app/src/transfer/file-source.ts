import type { FileDescription } from './messages.ts';

/** A file the sender offers. `read` returns bytes [start, end). */
export interface FileSource extends FileDescription {
  read(start: number, end: number): Promise<Uint8Array>;
}
