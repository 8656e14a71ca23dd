import { beforeEach, describe, expect, it } from 'vitest';
import { Admission, ADMISSION, type AdmissionLimits, type DropReason, type Seat } from '../../app/src/net/admission.ts';
import { ManualClock } from './manual-clock.ts';

const LIMITS: AdmissionLimits = { ...ADMISSION, dialMs: 38_000 };

/** A connection as the gate sees it: where it came from, and why it was dropped, if it was. */
interface Guest {
  source: string;
  seat: Seat | null;
  dropped: DropReason[];
}

function arrive(gate: Admission, source: string): Guest {
  const guest: Guest = { source, seat: null, dropped: [] };
  guest.seat = gate.admit(source, (reason) => guest.dropped.push(reason));
  return guest;
}

const seated = (guest: Guest) => guest.seat !== null && guest.dropped.length === 0;

describe('admission of connections that have not proved the secret', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('seats at most the cap, however many offers arrive', () => {
    const gate = new Admission(LIMITS, clock);
    const guests = Array.from({ length: 1000 }, (_, i) => arrive(gate, `bogus-${i}`));
    expect(gate.unproven).toBe(LIMITS.seats);
    expect(guests.filter(seated)).toHaveLength(LIMITS.seats);
    // Everyone unseated was told once, or refused outright.
    for (const guest of guests.filter((g) => !seated(g))) expect(guest.seat === null || guest.dropped.length === 1).toBe(true);
  });

  it('a flood from one broker identity displaces only its own connections', () => {
    const gate = new Admission(LIMITS, clock);
    const receiver = arrive(gate, 'receiver');
    for (let i = 0; i < 1000; i++) arrive(gate, 'flooder');
    expect(seated(receiver)).toBe(true);
    expect(gate.unproven).toBe(LIMITS.seats);
  });

  it('a flood from fewer identities than seats never evicts a receiver, even while it dials', () => {
    const gate = new Admission(LIMITS, clock);
    const receiver = arrive(gate, 'receiver');
    for (let i = 0; i < 1000; i++) arrive(gate, `flooder-${i % (LIMITS.seats - 1)}`);
    expect(seated(receiver)).toBe(true);
  });

  it('a fast flood from as many identities as seats can evict a receiver that is still dialling', () => {
    // The limit of what the page alone can do (see admission.ts): here the broker must help.
    const gate = new Admission(LIMITS, clock);
    const receiver = arrive(gate, 'receiver');
    for (let i = 0; i < LIMITS.seats; i++) arrive(gate, `flooder-${i}`);
    expect(receiver.dropped).toEqual(['crowded']);
  });

  it('a flood of fresh offers from many identities does not evict a receiver whose proof is in flight', () => {
    const gate = new Admission(LIMITS, clock);
    const receiver = arrive(gate, 'receiver');
    clock.advance(800);
    receiver.seat!.opened();
    for (let i = 0; i < 1000; i++) {
      arrive(gate, `flooder-${i}`);
      clock.advance(1);
    }
    expect(seated(receiver)).toBe(true);
    receiver.seat!.proven();
    expect(receiver.dropped).toEqual([]);
  });

  it('channels open too long without a proof give their seats to newcomers', () => {
    const gate = new Admission(LIMITS, clock);
    const stalled = Array.from({ length: LIMITS.seats }, (_, i) => arrive(gate, `silent-${i}`));
    for (const guest of stalled) guest.seat!.opened();
    clock.advance(LIMITS.graceMs);
    const receiver = arrive(gate, 'receiver');
    expect(seated(receiver)).toBe(true);
    expect(stalled.filter((g) => g.dropped[0] === 'crowded')).toHaveLength(1);
    // The one that arrived first went.
    expect(stalled[0]!.dropped).toEqual(['crowded']);
  });

  it('while every seat holds a proof in flight, a newcomer waits its turn', () => {
    const gate = new Admission(LIMITS, clock);
    const proving = Array.from({ length: LIMITS.seats }, (_, i) => arrive(gate, `receiver-${i}`));
    for (const guest of proving) guest.seat!.opened();
    expect(arrive(gate, 'late').seat).toBeNull();
    expect(proving.every(seated)).toBe(true);
  });

  it('drops a connection that never opens at the dial deadline, and one that never proves at the proof deadline', () => {
    const gate = new Admission(LIMITS, clock);
    const dialling = arrive(gate, 'a');
    const proving = arrive(gate, 'b');
    clock.advance(LIMITS.dialMs - LIMITS.proveMs);
    proving.seat!.opened();
    clock.advance(LIMITS.proveMs - 1);
    expect(dialling.dropped).toEqual([]);
    expect(proving.dropped).toEqual([]);
    clock.advance(1);
    expect(dialling.dropped).toEqual(['dial-timeout']);
    expect(proving.dropped).toEqual(['proof-timeout']);
    expect(gate.unproven).toBe(0);
  });

  it('a proved connection leaves the count and is never dropped', () => {
    const gate = new Admission(LIMITS, clock);
    const receiver = arrive(gate, 'receiver');
    receiver.seat!.opened();
    receiver.seat!.proven();
    expect(gate.unproven).toBe(0);
    for (let i = 0; i < 100; i++) arrive(gate, `flooder-${i}`);
    clock.advance(LIMITS.dialMs + LIMITS.proveMs);
    expect(receiver.dropped).toEqual([]);
  });

  it('after a flood every seat is given back and no timer is left', () => {
    const gate = new Admission(LIMITS, clock);
    const guests = Array.from({ length: 200 }, (_, i) => arrive(gate, `bogus-${i % 7}`));
    guests.filter(seated).slice(0, 3).forEach((guest) => guest.seat!.opened());
    clock.advance(LIMITS.dialMs);
    expect(gate.unproven).toBe(0);
    expect(clock.next).toBeNull();
    for (const guest of guests) expect(guest.dropped.length).toBeLessThanOrEqual(1);
  });

  it('leave() and clear() free seats without calling drop', () => {
    const gate = new Admission(LIMITS, clock);
    const a = arrive(gate, 'a');
    arrive(gate, 'b');
    a.seat!.leave();
    expect(gate.unproven).toBe(1);
    gate.clear();
    expect(gate.unproven).toBe(0);
    expect(clock.next).toBeNull();
    expect(a.dropped).toEqual([]);
  });
});
