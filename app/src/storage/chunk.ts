/** Received bytes on their way to a place (chunk-places.ts): part of one file, at an offset. */
export interface Chunk {
  file: number;
  offset: number;
  bytes: Uint8Array;
  /** Of a file no larger than SMALL_FILE_BYTES: kept in IndexedDB wherever the rest goes. */
  small?: boolean;
}
