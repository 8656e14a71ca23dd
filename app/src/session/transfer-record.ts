/**
 * What a receiver remembers of one transfer between visits (or runs): which link,
 * which files, how far along, and whether the link is dead. Framework-free: the
 * browser keeps these in IndexedDB (storage/transfers.ts), the terminal beside the
 * files it receives.
 */
import { isReceiverKey, newReceiverKey } from '../transfer/auth.ts';
import { base64url, type ShareAddress } from '../transfer/link.ts';
import type { EndReason, FileDescription } from '../transfer/messages.ts';

export interface TransferRecord {
  /** Random. It names what is stored (download URLs, storage keys), and never leaves the device. */
  id: string;
  /**
   * The private key the receiver proves itself with to the sender (transfer/auth.ts
   * newReceiverKey), so a reconnection is not asked again for the password or the
   * sender's approval. Never leaves the device. Records from before receivers had keys
   * lack it: receiverKeyOf gives them one.
   */
  receiverKey?: string;
  /** The link it came by. (Records from before links carried the sender's key lack it.) */
  address: ShareAddress;
  files: FileDescription[];
  /** The text the sender shared beside the files (or alone), kept for the history and held to on resuming; absent: none. */
  text?: string;
  /** Bytes stored and whether every file is verified, as of the last update. */
  stored: number;
  done: boolean;
  /** Every file was saved where the person wanted it (the history says so; the stored copy stays until deleted). */
  saved: boolean;
  total: number;
  /** How the sender described its device (self-reported, cleaned), to say who the files came from. */
  senderDevice?: string;
  /** The sender ended the link (signed, in its own session): reopening it says so without calling. */
  ended?: { reason: EndReason; at: number };
  createdAt: number;
  updatedAt: number;
}

/** A fresh transfer id: random, base64url. */
export function newTransferId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(12)));
}

export function newTransfer(
  id: string,
  address: ShareAddress,
  files: FileDescription[],
  text: string | null = null,
  receiverKey = newReceiverKey(),
): TransferRecord {
  const now = Date.now();
  return {
    id,
    receiverKey,
    address,
    files,
    ...(text !== null && { text }),
    stored: 0,
    done: false,
    saved: false,
    total: files.reduce((sum, file) => sum + file.size, 0),
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The receiver's key for `record`: its own, or, for a record from before receivers had
 * keys (or whose key is damaged), a new one it keeps from now on. The sender takes such
 * a receiver for someone new, once.
 */
export function receiverKeyOf(record: TransferRecord): string {
  if (!isReceiverKey(record.receiverKey)) record.receiverKey = newReceiverKey();
  return record.receiverKey;
}
