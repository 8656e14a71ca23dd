/**
 * The slice of RTCDataChannel the protocol needs. The browser side wraps the real
 * channel (net/broker.ts: PeerChannel); unit tests use an in-memory model of it.
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
