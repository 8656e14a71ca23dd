/**
 * Who gets a STUN answer, when anyone can put any source address on a datagram.
 *
 * Three limits bound what Ferry sends, so it cannot be used as a reflector: per
 * client (an IPv4 address or an IPv6 /64), per network (an IPv4 /24 or an IPv6 /56:
 * one victim's whole network) and for the whole server. The last is shared, so a
 * flood from many spoofed sources could spend it all and leave nothing for anyone
 * else. So it is shared fairly, by network: each network has a demand meter (the
 * requests it sent lately, answered or not), and a network may take from the shared
 * budget only while the budget holds more than its demand. When the budget runs
 * short, the networks asking most are the first turned away, and one that asks
 * a few times, as a browser gathering candidates does, is still answered.
 *
 * Only a flood from more networks than the table holds, each asking as little as a
 * real client, can look like everyone else; to deny anyone it must also be faster
 * than the shared budget, which is sized to what one core answers anyway.
 */
import net from 'node:net';
import { addressBytes, addressKey } from './ip-address.ts';

export interface StunBudgetOptions {
  /** Answers per second to one client (an IPv4 address, an IPv6 /64). */
  ratePerSecond: number;
  /** Answers one client may have at once. */
  burst: number;
  /** Answers per second to one network (an IPv4 /24, an IPv6 /56). */
  networkPerSecond: number;
  /** Answers one network may have at once. */
  networkBurst: number;
  /** Answers per second for the whole server; it holds one second's worth. */
  globalPerSecond: number;
  /** Clients, and networks, remembered at most; beyond this the oldest are forgotten. */
  maxSources: number;
  /** Milliseconds on a monotonic clock; tests pass their own. */
  now?: () => number;
}

/** How long a request counts in its network's demand: after this long it weighs a third (1/e) as much. */
const DEMAND_MEMORY_MS = 1000;

/** Tokens as of `updated`, refilled lazily; and, for a network, its demand as of then. */
interface Meter {
  tokens: number;
  demand: number;
  updated: number;
}

export class StunBudget {
  readonly #options: StunBudgetOptions;
  readonly #now: () => number;
  readonly #clients = new Map<string, Meter>();
  readonly #networks = new Map<string, Meter>();
  readonly #global: Meter;

  constructor(options: StunBudgetOptions) {
    for (const name of ['ratePerSecond', 'burst', 'networkPerSecond', 'networkBurst', 'globalPerSecond', 'maxSources'] as const) {
      if (!(options[name] >= 1)) throw new RangeError(`STUN limit ${name} must be at least 1, got ${options[name]}`);
    }
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#global = { tokens: options.globalPerSecond, demand: 0, updated: this.#now() };
  }

  /** Clients and networks remembered now (each never more than maxSources). */
  get size(): { clients: number; networks: number } {
    return { clients: this.#clients.size, networks: this.#networks.size };
  }

  /** Whether to answer a request from `address` now; if so, the answer is counted. */
  allow(address: string): boolean {
    const { ratePerSecond, burst, networkPerSecond, networkBurst, globalPerSecond } = this.#options;
    const now = this.#now();
    const keys = sourceKeys(address);
    const client = this.#meter(this.#clients, keys.client, burst, now);
    const network = this.#meter(this.#networks, keys.network, networkBurst, now);
    refill(client, now, ratePerSecond, burst);
    refill(network, now, networkPerSecond, networkBurst);
    refill(this.#global, now, globalPerSecond, globalPerSecond);
    // The demand before this request: a network's first request in a while always has
    // the best claim. Counted whether or not it is answered, so being refused does not
    // make a flooding network look quiet.
    const demand = network.demand;
    network.demand += 1;
    if (client.tokens < 1 || network.tokens < 1 || this.#global.tokens < 1 + demand) return false;
    client.tokens -= 1;
    network.tokens -= 1;
    this.#global.tokens -= 1;
    return true;
  }

  /** The meter for `key`, made full if new; the oldest is forgotten to make room. */
  #meter(table: Map<string, Meter>, key: string, full: number, now: number): Meter {
    let meter = table.get(key);
    if (meter === undefined) {
      // Forgetting rather than refusing: a full table must not turn away someone new.
      if (table.size >= this.#options.maxSources) table.delete(table.keys().next().value!);
      meter = { tokens: full, demand: 0, updated: now };
      table.set(key, meter);
    }
    return meter;
  }
}

function refill(meter: Meter, now: number, perSecond: number, capacity: number): void {
  // max(0, …): a clock that steps backwards must not drain anything.
  const elapsed = Math.max(0, now - meter.updated);
  meter.tokens = Math.min(capacity, meter.tokens + (elapsed * perSecond) / 1000);
  meter.demand *= Math.exp(-elapsed / DEMAND_MEMORY_MS);
  meter.updated = now;
}

/** The network an address belongs to: an IPv4 /24 or an IPv6 /56 (a site's usual share). */
export function networkKey(address: string): string {
  return sourceKeys(address).network;
}

/**
 * The client (addressKey) and the network of a datagram's source. Every datagram
 * needs both, under a flood tens of thousands a second: the dotted IPv4 form a
 * socket reports is cut as text, the rest parsed once.
 */
function sourceKeys(address: string): { client: string; network: string } {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(v4)) return { client: v4, network: `${v4.slice(0, v4.lastIndexOf('.'))}.0/24` };
  const bytes = addressBytes(address);
  if (bytes === null || bytes.length === 4) return { client: addressKey(address), network: address };
  return { client: addressKey(address), network: `${Buffer.from(bytes.subarray(0, 7)).toString('hex')}/56` };
}
