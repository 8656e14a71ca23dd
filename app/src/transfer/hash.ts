/** Incremental SHA-256 (hash-wasm works the same in browsers and in Node). */
import { createSHA256 } from 'hash-wasm';

export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Lowercase hex; the hasher starts over afterwards, ready for the next file. */
  digest(): string;
  /** Forgets what it was given so far. */
  reset(): void;
}

export async function createSha256(): Promise<Sha256> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => void hasher.update(bytes),
    reset: () => void hasher.init(),
    digest: () => {
      const hex = hasher.digest('hex');
      hasher.init();
      return hex;
    },
  };
}
