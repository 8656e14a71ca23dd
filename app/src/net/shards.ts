/**
 * Shards: a Ferry server may run as several broker processes, each holding the ids
 * of one shard, behind a load balancer that routes by path (README, "Many people:
 * shards"). A share lives on one shard, and its link has to lead every receiver
 * there without changing form, so the shard is written into the sender's id: a
 * sharded id is the shard's name followed by the usual 20 random characters. An id
 * of exactly 20 has no shard (one process, or a link made before sharding), and
 * belongs to the first shard.
 *
 * Receivers make their ids the same way, on the sender's shard, so each broker can
 * tell at once a client that the load balancer sent to the wrong place.
 */

/** Random characters in every id Ferry makes (after the shard's name, if any). */
export const PEER_ID_RANDOM_LENGTH = 20;
/** A shard's name: short, and of the characters a link's id may hold. */
export const SHARD_NAME = /^[a-z0-9]{1,16}$/;
/** An id Ferry made: [shard name] + 20 random letters and digits. */
const FERRY_ID = /^[a-z0-9]{20,36}$/;

/** A broker id for a new share or receiver, on `shard` ('' = no shard). */
export function newPeerId(shard = ''): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(PEER_ID_RANDOM_LENGTH));
  // 256 % 36 leaves a slight bias; irrelevant for an id that only needs to be unique.
  return shard + Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

/** The shard an id lives on ('' for none), or null for an id Ferry did not make. */
export function shardOf(peerId: string): string | null {
  if (!FERRY_ID.test(peerId)) return null;
  return peerId.slice(0, peerId.length - PEER_ID_RANDOM_LENGTH);
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
