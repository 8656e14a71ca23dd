/**
 * Which way a connection's bytes travel, read from the candidate pair ICE selected:
 *
 * - `local`: host to host — both devices reach each other's own addresses (the same
 *   network; mDNS `.local` names are host candidates too);
 * - `direct`: through a NAT, found with STUN (server- or peer-reflexive), no relay;
 * - `relay`: through a TURN relay on either side. Behind symmetric NATs one side often
 *   selects prflx→relay and the other relay→relay: both are relayed.
 */

export type PathKind = 'local' | 'direct' | 'relay';

export interface ConnectionPath {
  kind: PathKind;
  /** For `relay`: the relay's host name (or address) as this side knows it. */
  relay?: string;
}

/** The fields of an RTCIceCandidateStats we read (both Chromium and Firefox fill them). */
export interface CandidateStats {
  candidateType?: string;
  address?: string;
  /** Chromium: the ICE server URL a relay or srflx candidate came from. */
  url?: string;
}

export function pathKind(local: CandidateStats, remote: CandidateStats): PathKind {
  if (local.candidateType === 'relay' || remote.candidateType === 'relay') return 'relay';
  if (local.candidateType === 'host' && remote.candidateType === 'host') return 'local';
  return 'direct';
}

/**
 * The path of the selected pair in a getStats() report, or null while none is
 * selected. Chromium names the pair on the transport (`selectedCandidatePairId`);
 * Firefox marks the pair itself (`selected`).
 */
export function pathFromStats(report: ReadonlyMap<string, Record<string, unknown>>): ConnectionPath | null {
  let pair: Record<string, unknown> | undefined;
  for (const stats of report.values()) {
    if (stats.type === 'transport' && typeof stats.selectedCandidatePairId === 'string') {
      pair = report.get(stats.selectedCandidatePairId);
      break;
    }
  }
  if (!pair) {
    for (const stats of report.values()) {
      if (stats.type === 'candidate-pair' && stats.selected === true && stats.state === 'succeeded') pair = stats;
    }
  }
  const local = report.get(String(pair?.localCandidateId)) as CandidateStats | undefined;
  const remote = report.get(String(pair?.remoteCandidateId)) as CandidateStats | undefined;
  if (!local || !remote) return null;
  const kind = pathKind(local, remote);
  if (kind !== 'relay') return { kind };
  const relay = relayName(local.candidateType === 'relay' ? local : remote);
  return relay ? { kind, relay } : { kind };
}

/** "turn.example.org" from turn:turn.example.org:3478?transport=udp, else the candidate's address. */
function relayName(candidate: CandidateStats): string | undefined {
  const match = candidate.url ? /^turns?:(\[[^\]]+\]|[^:?]+)/.exec(candidate.url) : null;
  return match?.[1] ?? candidate.address;
}

/** The connection's path now, or null if ICE has not selected a pair (yet). */
export async function readPath(pc: RTCPeerConnection): Promise<ConnectionPath | null> {
  try {
    return pathFromStats((await pc.getStats()) as unknown as ReadonlyMap<string, Record<string, unknown>>);
  } catch {
    return null; // closed meanwhile
  }
}

/**
 * Calls `onpath` with the path now and whenever ICE settles on another pair (a
 * network change, a relay taking over), until `signal` aborts. Repeated reads of
 * the same path are reported once.
 */
export function watchPath(pc: RTCPeerConnection, onpath: (path: ConnectionPath) => void, signal: AbortSignal): void {
  let last = '';
  const read = () =>
    void readPath(pc).then((path) => {
      const key = JSON.stringify(path);
      if (!path || signal.aborted || key === last) return;
      last = key;
      onpath(path);
    });
  const onstate = () => {
    if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') read();
  };
  pc.addEventListener('iceconnectionstatechange', onstate);
  // Chromium tells us of a new pair directly; elsewhere the state change above does.
  const ice = pc.sctp?.transport.iceTransport;
  ice?.addEventListener('selectedcandidatepairchange', read);
  signal.addEventListener(
    'abort',
    () => {
      pc.removeEventListener('iceconnectionstatechange', onstate);
      ice?.removeEventListener('selectedcandidatepairchange', read);
    },
    { once: true },
  );
  read();
}
