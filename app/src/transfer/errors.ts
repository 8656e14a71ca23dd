import type { Failure } from './failure.ts';

/** The peer broke the protocol: a malformed, unexpected or out-of-place message. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';

  get failure(): Failure {
    return { code: 'protocol', detail: this.message };
  }
}

/** The transfer was stopped on purpose (page closed, user cancelled, peer gone). */
export class AbortedError extends Error {
  override name = 'AbortedError';
}
