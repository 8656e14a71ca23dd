/**
 * The per-client bookkeeping of the broker that grows with the number of clients,
 * timed on its own so that sizes no process here can hold open (100,000) are
 * measured too:
 *   - `peer` copies its whole registry (`realm.getClientsIds()`, a spread of its
 *     Map's keys) on every new connection, to compare the count with its cap;
 *   - every 300 ms its `checkConnections` copies it again and reads each client's
 *     last heartbeat;
 *   - every second Ferry's guard sweeps its id owners (IdOwners.sweep), which visits
 *     only reservations whose grace is over (timed here to show it stays flat).
 * The first two are mirrored on a Map like `peer`'s Realm; the third is the real class.
 */
import { IdOwners } from '../../signal-server/id-owners.ts';
import { randomName } from './broker-payloads.ts';
import { median } from './report.ts';

export interface RegistryCost {
  clients: number;
  /** One `getClientsIds()`: paid by every new connection. */
  copyMs: number;
  /** One `checkConnections()` that finds nobody to drop: paid every 300 ms. */
  checkMs: number;
  /** One IdOwners.sweep() with every id connected: paid every second. */
  ownersSweepMs: number;
}

/** `peer`'s Client, as far as checkConnections looks at it. */
class Client {
  readonly #lastPing = new Date().getTime();
  getLastPing(): number {
    return this.#lastPing;
  }
}

const RUNS = 21;
/** Untimed runs first, so the compiler has optimised the loops before they are timed. */
const WARM_UP_RUNS = 5;
/** `peer`'s alive_timeout. */
const ALIVE_TIMEOUT_MS = 90_000;

export function registryCost(clients: number): RegistryCost {
  const realm = new Map<string, Client>();
  const owners = new IdOwners<object>({ graceMs: 60_000, maxReserved: 100_000 });
  for (let n = 0; n < clients; n++) {
    const id = randomName(20);
    realm.set(id, new Client());
    owners.attach(id, randomName(16), {});
  }
  return {
    clients,
    copyMs: timed(() => [...realm.keys()].length),
    checkMs: timed(() => {
      const now = new Date().getTime();
      let stale = 0;
      for (const id of [...realm.keys()]) {
        const client = realm.get(id);
        if (client && now - client.getLastPing() >= ALIVE_TIMEOUT_MS) stale += 1;
      }
      return stale;
    }),
    ownersSweepMs: timed(() => {
      owners.sweep();
      return owners.connected;
    }),
  };
}

/** Median ms of `work`; its result is kept so the optimiser cannot drop the work. */
function timed(work: () => number): number {
  const times: number[] = [];
  let kept = 0;
  for (let run = 0; run < WARM_UP_RUNS + RUNS; run++) {
    const start = performance.now();
    kept += work();
    if (run >= WARM_UP_RUNS) times.push(performance.now() - start);
  }
  if (kept < 0) console.log(kept);
  return median(times);
}
