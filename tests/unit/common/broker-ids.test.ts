import { describe, expect, it } from 'vitest';
import { brokerRefusal } from '../../../app/src/common/broker-refusals.ts';
import { brokerPath, newBrokerToken, ownsPeerId, peerIdFor, pickShard, shardOf } from '../../../app/src/common/broker-ids.ts';
import { newSenderKeys } from '../../../app/src/transfer/auth.ts';
import { newSecret, parseRoute, shareLink } from '../../../app/src/transfer/link.ts';

describe('ids owned by their token', () => {
  it('makes the id from the token, so any broker can check who owns it', () => {
    const token = newBrokerToken();
    expect(token).toMatch(/^[a-z0-9]{24}$/);
    expect(peerIdFor('', token)).toBe(peerIdFor('', token));
    expect(ownsPeerId(peerIdFor('', token), token)).toBe(true);
    expect(ownsPeerId(peerIdFor('b', token), token)).toBe(true);
    expect(ownsPeerId(peerIdFor('', token), newBrokerToken())).toBe(false);
    expect(peerIdFor('', newBrokerToken())).not.toBe(peerIdFor('', newBrokerToken()));
  });

  it('lets no token own an id Ferry did not make, nor a random one from before', () => {
    expect(ownsPeerId('sender-id', 'sender')).toBe(false);
    expect(ownsPeerId('abcdefghijklmnopqrst', 'abcdefghijklmnopqrst')).toBe(false);
  });
});

describe('shards in ids', () => {
  it('writes the shard before the 20 characters, and reads it back', () => {
    for (const shard of ['', 'a', 'eu1', 'x'.repeat(16)]) {
      const id = peerIdFor(shard, newBrokerToken());
      expect(id).toHaveLength(shard.length + 20);
      expect(shardOf(id)).toBe(shard);
    }
  });

  it('reads no shard from ids Ferry did not make', () => {
    for (const id of ['sender-id', 'short', '3f2a9c1e-7b4d-4e2a-9f1c-0a1b2c3d4e5f', 'A'.repeat(20), 'a'.repeat(37)]) {
      expect(shardOf(id)).toBeNull();
    }
  });

  it('keeps links in their form: a link to a sharded id opens as any other', () => {
    const address = { peerId: peerIdFor('x'.repeat(16), newBrokerToken()), secret: newSecret(), senderKey: newSenderKeys().senderKey };
    const link = shareLink('https://ferry.example', address);
    expect(link).toMatch(/^https:\/\/ferry\.example\/#\/r\/[a-z0-9]{36}\//);
    expect(parseRoute(new URL(link).hash)).toEqual({ view: 'receive', address });
  });

  it('finds each shard’s broker under its own path prefix', () => {
    expect(brokerPath('')).toBe('/peerjs');
    expect(brokerPath('b')).toBe('/s/b/peerjs');
  });

  it('spreads new shares over every shard', () => {
    const picked = new Set(Array.from({ length: 200 }, () => pickShard(['a', 'b', 'c'])));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
    expect(pickShard([])).toBe('');
  });
});

describe('broker refusals', () => {
  it('reads only the exact codes a Ferry broker sends', () => {
    expect(brokerRefusal('ferry:busy')).toBe('busy');
    expect(brokerRefusal('ferry:misrouted')).toBe('misrouted');
    expect(brokerRefusal('Server has reached its concurrent user limit')).toBeNull();
    expect(brokerRefusal(undefined)).toBeNull();
  });
});
