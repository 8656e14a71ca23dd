/**
 * How `ferry receive` ends when it cannot finish: the exit code a script acts on
 * (exit-codes.ts) and the line a person reads, for each way a transfer stops short.
 */
import { failureMessage, type Failure } from '../src/transfer/failure.ts';
import type { EndReason } from '../src/transfer/messages.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { UnsafePlaceError } from './store-disk.ts';

export interface Ending {
  code: ExitCode;
  message: string;
}

/** The sender ended the link, or turned this receiver away; only 'busy' may pass if tried later. */
export const ENDED = {
  stopped: { code: EXIT.failed, message: 'The sender stopped sharing this link.' },
  expired: { code: EXIT.failed, message: 'This link has expired.' },
  declined: { code: EXIT.failed, message: 'The sender declined to send you the files.' },
  busy: {
    code: EXIT.unreachable,
    message: 'The sender is serving as many receivers as it can: try again in a while.',
  },
  'timed-out': {
    code: EXIT.failed,
    message:
      'The sender stopped waiting for you: the password or its approval took too long.\nRun the same command again to carry on (a password given or an approval granted is remembered).',
  },
} as const satisfies Record<EndReason, Ending>;

/** Something in `out` Ferry will not write through, found at the start. */
export function unsafeEnding(out: string, error: UnsafePlaceError): Ending {
  return storageEnding(out, error.failure);
}

/**
 * Storing failed: the transfer's store could not be opened, or a write met a full disk
 * or a link planted in the folder (which reads the same at the start or mid-transfer).
 */
export function storageEnding(out: string, failure: Failure): Ending {
  const code = failure.code === 'storage-full' ? EXIT.diskFull : failure.code === 'unsafe-folder' ? EXIT.unsafeFolder : EXIT.failed;
  return { code, message: `Cannot store the files in ${out}: ${failureMessage(failure)}` };
}

/** The session failed for good: `failure` says why, `error` in words when it carries none. */
export function failureEnding(out: string, failure: Failure | null, error: string | null): Ending {
  if (failure?.code === 'unsafe-folder') return storageEnding(out, failure);
  const message = failure ? failureMessage(failure) : (error ?? 'The transfer failed.');
  if (failure?.code === 'storage-full') return { code: EXIT.diskFull, message: `${message}\nRun the same command again once there is room.` };
  if (failure?.code === 'files-changed') return { code: EXIT.failed, message: `${message}\nWhat was received is kept in ${out}.` };
  return { code: EXIT.failed, message };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
