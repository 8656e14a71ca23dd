/**
 * Broker ids, the tokens that own them, and the shards they live on.
 *
 * **Owned by construction.** A Ferry id ends in 20 characters drawn from the SHA-256
 * of its token, the secret its owner presents to the broker. Any broker process can
 * then check, with no memory of who came first, that a client owns the id it asks
 * for: a sender's id is in its link for anyone to read, but only its page holds the
 * token. That matters most when a process dies and everyone reconnects to a backup
 * that never saw them (docs/operating.md, "Many people: shards").
 *
 * **Shards.** A Ferry server may run as several broker processes, each holding the
 * ids of one shard, behind a load balancer that routes by path. A share lives on one
 * shard, and its link has to lead every receiver there without changing form, so the
 * shard is written into the sender's id: a sharded id is the shard's name followed
 * by the 20 characters. An id of exactly 20 has no shard (one process, or a link made
 * before sharding), and belongs to the first shard. Receivers make their ids on the
 * sender's shard, so each broker can tell at once a client that the load balancer
 * sent to the wrong place.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Characters after the shard's name (if any) in every id Ferry makes. */
export const PEER_ID_DIGEST_LENGTH = 20;
/** A shard's name: short, and of the characters a link's id may hold. */
export const SHARD_NAME = /^[a-z0-9]{1,16}$/;
/** An id Ferry made: [shard name] + 20 letters and digits. */
const FERRY_ID = /^[a-z0-9]{20,36}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh secret that owns a broker id: 24 random letters and digits. */
export function newBrokerToken(): string {
  return letters(crypto.getRandomValues(new Uint8Array(24)));
}

/** The id on `shard` ('' = no shard) that `token` owns. */
export function peerIdFor(shard: string, token: string): string {
  return shard + digest(token);
}

/** Whether `token` is the one `id` was made from: if so, it owns the id on any broker process. */
export function ownsPeerId(id: string, token: string): boolean {
  return FERRY_ID.test(id) && id.slice(-PEER_ID_DIGEST_LENGTH) === digest(token);
}

/** The shard an id lives on ('' for none), or null for an id Ferry did not make. */
export function shardOf(peerId: string): string | null {
  if (!FERRY_ID.test(peerId)) return null;
  return peerId.slice(0, peerId.length - PEER_ID_DIGEST_LENGTH);
}

/**
 * Where PeerJS finds the broker of `shard`: the load balancer routes `/s/<shard>/`
 * to that shard's processes and strips the prefix. Ids without a shard use the plain
 * path, which a single process serves and a sharded layout sends to the first shard.
 */
export function brokerPath(shard: string): string {
  return shard === '' ? '/peerjs' : `/s/${shard}/peerjs`;
}

/** One of `shards` for a new share, at random so that shares spread evenly; '' when there are none. */
export function pickShard(shards: readonly string[]): string {
  if (shards.length === 0) return '';
  const [random] = crypto.getRandomValues(new Uint32Array(1));
  return shards[random! % shards.length]!;
}

function digest(token: string): string {
  return letters(sha256(new TextEncoder().encode(token)).subarray(0, PEER_ID_DIGEST_LENGTH));
}

/** One letter or digit per byte: 256 % 36 leaves a slight bias, a fraction of a bit of each. */
function letters(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}
