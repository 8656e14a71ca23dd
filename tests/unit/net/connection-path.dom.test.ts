import { describe, expect, it } from 'vitest';
import { pathFromStats, pathKind } from '../../../app/src/net/connection-path.ts';

type Stats = Record<string, unknown>;

/** A getStats() report as Chromium shapes it: the transport names the selected pair. */
function chromiumReport(local: Stats, remote: Stats): Map<string, Stats> {
  return new Map<string, Stats>([
    ['T01', { type: 'transport', selectedCandidatePairId: 'CP1' }],
    ['CP0', { type: 'candidate-pair', localCandidateId: 'Lx', remoteCandidateId: 'Rx', state: 'failed' }],
    ['CP1', { type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded' }],
    ['Lx', { type: 'local-candidate', candidateType: 'host' }],
    ['Rx', { type: 'remote-candidate', candidateType: 'host' }],
    ['L1', { type: 'local-candidate', ...local }],
    ['R1', { type: 'remote-candidate', ...remote }],
  ]);
}

describe('which way the bytes travel', () => {
  it('host to host is local, mDNS names included', () => {
    expect(pathKind({ candidateType: 'host' }, { candidateType: 'host', address: 'abc.local' })).toBe('local');
  });

  it('through a NAT without a relay is direct', () => {
    expect(pathKind({ candidateType: 'srflx' }, { candidateType: 'srflx' })).toBe('direct');
    expect(pathKind({ candidateType: 'host' }, { candidateType: 'prflx' })).toBe('direct');
  });

  it('a relay on either side is relay', () => {
    expect(pathKind({ candidateType: 'prflx' }, { candidateType: 'relay' })).toBe('relay');
    expect(pathKind({ candidateType: 'relay' }, { candidateType: 'relay' })).toBe('relay');
  });

  it('reads the pair Chromium selected, not another one, and names the relay by its URL', () => {
    const report = chromiumReport(
      { candidateType: 'relay', address: '203.0.113.1', url: 'turn:turn.example.org:3478?transport=udp' },
      { candidateType: 'prflx' },
    );
    expect(pathFromStats(report)).toEqual({ kind: 'relay', relay: 'turn.example.org' });
    expect(pathFromStats(chromiumReport({ candidateType: 'srflx' }, { candidateType: 'host' }))).toEqual({ kind: 'direct' });
  });

  it('names a relay on the far side by its address', () => {
    const report = chromiumReport({ candidateType: 'prflx' }, { candidateType: 'relay', address: '203.0.113.1' });
    expect(pathFromStats(report)).toEqual({ kind: 'relay', relay: '203.0.113.1' });
  });

  it('reads Firefox’s selected pair', () => {
    const report = new Map<string, Stats>([
      ['a', { type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', state: 'succeeded', selected: true }],
      ['b', { type: 'candidate-pair', localCandidateId: 'l2', remoteCandidateId: 'r', state: 'succeeded', selected: false }],
      ['l', { type: 'local-candidate', candidateType: 'host' }],
      ['l2', { type: 'local-candidate', candidateType: 'relay' }],
      ['r', { type: 'remote-candidate', candidateType: 'host' }],
    ]);
    expect(pathFromStats(report)).toEqual({ kind: 'local' });
  });

  it('is null while nothing is selected', () => {
    expect(pathFromStats(new Map([['T', { type: 'transport' }]]))).toBeNull();
    expect(pathFromStats(new Map())).toBeNull();
  });
});
