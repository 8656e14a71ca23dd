/**
 * The slice of RTCDataChannel the protocol needs. An RTCDataChannel satisfies it as
 * it is; unit tests use an in-memory model of it.
 */
export interface Channel {
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readonly readyState: string;
  send(frame: Uint8Array<ArrayBuffer>): void;
  close(): void;
  /** 'message' (event.data is an ArrayBuffer), 'bufferedamountlow', 'close'. */
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** The largest message the channel may carry, from the negotiated `sctp.maxMessageSize`. */
export type MaxMessageSize = number;
