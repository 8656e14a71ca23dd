/**
 * Reads picked files (or slices of them) for the sending page, many per message, and
 * hands their bytes back without copying. See file-reads.ts.
 */

/** The worker's global scope, typed here so the app's DOM types can check this file. */
const scope = self as unknown as {
  postMessage(message: ReadReply, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ReadRequest>) => void): void;
};

export interface ReadRequest {
  seq: number;
  blobs: Blob[];
}

/** Per blob, its bytes or why they could not be read. */
export interface ReadReply {
  seq: number;
  results: ({ bytes: ArrayBuffer } | { error: { name: string; message: string } })[];
}

scope.addEventListener('message', async ({ data: { seq, blobs } }) => {
  const settled = await Promise.allSettled(blobs.map((blob) => blob.arrayBuffer()));
  const results: ReadReply['results'] = settled.map((outcome) =>
    outcome.status === 'fulfilled'
      ? { bytes: outcome.value }
      : { error: { name: (outcome.reason as Error).name ?? 'Error', message: (outcome.reason as Error).message ?? String(outcome.reason) } },
  );
  scope.postMessage({ seq, results }, results.flatMap((result): ArrayBuffer[] => ('bytes' in result ? [result.bytes] : [])));
});
