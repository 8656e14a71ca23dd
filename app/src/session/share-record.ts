/**
 * What a device remembers of the share it offers, between visits (or runs), so that
 * its link outlives a reload. Framework-free: the browser keeps it in IndexedDB
 * (storage/shares.ts); session/share-keeper.ts keeps it up to date.
 */
import type { FileDescription } from '../transfer/messages.ts';
import type { SavedDeliveries } from './deliveries.ts';
import type { ShareTries } from '../transfer/password-guard.ts';
import type { GateSettings } from '../transfer/share-gate.ts';
import type { ShareLife } from './share-life.ts';

/**
 * What is remembered of the share being offered: the broker id, the secret, the key
 * that proves this device is the sender, what the files were, and each file's SHA-256
 * once known, to recognise the same files when they are added again. ShareLife: its
 * expiry, whether its link ended, and who has downloaded from it.
 */
export interface ShareRecord extends ShareLife {
  peerId: string;
  /** Proves to the broker that `peerId` is ours (absent in shares saved before it existed). */
  brokerToken?: string;
  secret: string;
  /** Signs our proof to receivers; never leaves this device. */
  signingKey: string;
  /** Its public half, which the link carries. */
  senderKey: string;
  files: FileDescription[];
  /** The text shared beside the files (or alone), sent to every receiver with their list; absent: none. */
  text?: string;
  /**
   * Each file's root (block-tree.ts, hex) once hashed: a file added again after a
   * reload must have the same. (Shares saved before roots held whole-file SHA-256s in
   * `hashes` instead; those are not roots, and are dropped when such a share is read.)
   */
  roots: (string | null)[];
  createdAt: number;
  /** Its password key and "ask me first", and who passed them (absent: an open share). */
  gate?: GateSettings;
  /** What is left of the share's wrong password tries (absent: all of them). */
  passwordTries?: ShareTries;
  /** The files each receiver under way verified, by receiver key (absent: none yet). */
  deliveries?: SavedDeliveries;
}
