/**
 * Runs in Ferry's receive page before its scripts (an init script): records when
 * the file list appeared, when Download was pressed, when the first frame of file
 * bytes (DATA or FILES) came off a data channel and when the transfer was done, as
 * epoch milliseconds. It
 * presses Download the moment it can, as an eager person would.
 */
export interface FerryTimes {
  /** The page's navigation began: the link was opened. */
  openedAt: number;
  listedAt?: number;
  firstDataAt?: number;
  doneAt?: number;
  error?: string;
}

declare global {
  interface Window {
    __ferryTimes: FerryTimes;
    /** Filled by Ferry's own trace (app/src/transfer/trace.ts) when it finds this array. */
    __ferryTrace: unknown[];
  }
}

export function ferryProbe(): void {
  const now = () => performance.timeOrigin + performance.now();
  const times: FerryTimes = { openedAt: performance.timeOrigin };
  window.__ferryTimes = times;
  window.__ferryTrace = [];

  // DATA frames start with type byte 0x10, FILES frames with 0x11 (frames.ts). One
  // listener per channel, gone after the first.
  const isFileBytes = (code: number) => code === 0x10 || code === 0x11;
  const watch = (channel: RTCDataChannel) => {
    const onMessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (data instanceof ArrayBuffer && data.byteLength > 0 && isFileBytes(new Uint8Array(data, 0, 1)[0]!)) {
        times.firstDataAt ??= now();
        channel.removeEventListener('message', onMessage);
      }
    };
    channel.addEventListener('message', onMessage);
  };
  const create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (this: RTCPeerConnection, ...args: Parameters<typeof create>) {
    const channel = create.apply(this, args);
    watch(channel);
    return channel;
  };

  new MutationObserver(() => {
    const download = document.querySelector<HTMLButtonElement>('[data-testid=download]');
    if (download && !download.disabled && times.listedAt === undefined) {
      times.listedAt = now();
      download.click();
    }
    const status = document.querySelector('[data-testid=transfer-status]');
    const state = status?.getAttribute('data-state');
    if (state === 'done') times.doneAt ??= now();
    if (state === 'error') times.error ??= (status as HTMLElement).innerText;
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'disabled'] });
}
