/**
 * A link planted in the output folder after the transfer began is met by a store's
 * write, and leaves the receiving session as any failed write does: a failure in
 * words, its kind lost. The terminal must still say it as it does at the start, and
 * exit with its own code, so the stores its book opens tell it first.
 */
import type { TransferBook } from '../src/session/receive-flow.ts';
import type { FileStore } from './file-store.ts';
import { UnsafePlaceError } from './store-disk.ts';

export function noticingUnsafePlaces(book: TransferBook<FileStore>, notice: (error: UnsafePlaceError) => void): TransferBook<FileStore> {
  return { ...book, open: async (record) => noticing(await book.open(record), notice) };
}

/** `store`, telling `notice` of every unsafe place one of its writes meets. */
function noticing(store: FileStore, notice: (error: UnsafePlaceError) => void): FileStore {
  const noted = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (error instanceof UnsafePlaceError) notice(error);
      throw error;
    });
  return {
    get files() {
      return store.files;
    },
    get verifiedBefore() {
      return store.verifiedBefore;
    },
    ranges: (file) => store.ranges(file),
    isVerified: (file) => store.isVerified(file),
    pinned: (file) => store.pinned(file),
    savedPath: (file) => store.savedPath(file),
    read: (file) => store.read(file),
    write: (file, offset, bytes) => noted(store.write(file, offset, bytes)),
    flush: () => noted(store.flush()),
    settle: (file, sha256) => noted(store.settle(file, sha256)),
    pin: (hashes) => noted(store.pin(hashes)),
    close: () => noted(store.close()),
    forget: () => noted(store.forget()),
  };
}
