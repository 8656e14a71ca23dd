import { describe, expect, it } from 'vitest';
import { NOT_STARTED, type ReceiveState } from '../../../app/src/session/receive-flow.ts';
import type { Failure } from '../../../app/src/transfer/failure.ts';
import { END_REASONS } from '../../../app/src/transfer/messages.ts';
import type { ReceiverSnapshot, ReceiverState } from '../../../app/src/transfer/receiver.ts';
import { en, type Messages } from '../../../app/src/ui/i18n/en.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { countdown, receiveWords, stepText, type ReceivePage, type ReceiveWords } from '../../../app/src/ui/receive-words.ts';

const file = { name: 'plans.pdf', size: 100, type: 'application/pdf', lastModified: 0 };

function snapshot(state: ReceiverState, change: Partial<ReceiverSnapshot> = {}): ReceiverSnapshot {
  return {
    state,
    lanes: 1,
    files: [file],
    outcomes: ['pending'],
    roots: [null],
    progress: { bytes: 0, total: 100, rate: 0, eta: null },
    resumedAt: null,
    senderDevice: null,
    text: null,
    gate: null,
    failure: null,
    error: null,
    disconnected: false,
    ended: null,
    filesChanged: null,
    ...change,
  };
}

const flow = (change: Partial<ReceiveState>): ReceiveState => ({ ...NOT_STARTED, phase: 'session', ...change });

/** Half the bytes are stored here. */
const halfStored = (state: ReceiverSnapshot): Partial<ReceiveState> => ({
  kept: true,
  snapshot: { ...state, progress: { ...state.progress, bytes: 50 }, outcomes: ['receiving'] },
});

/** A dial that failed so: what the flow remembers of it. */
const unreachable = (failure: Failure): Partial<ReceiveState> => ({ lastDialFailure: failure, trouble: { kind: 'unreachable', failure } });

const DIAL_FAILURES: Failure[] = [
  { code: 'no-webrtc' },
  { code: 'server-unreachable' },
  { code: 'sender-offline' },
  { code: 'sender-silent' },
  ...(['none', 'refused', 'unreachable', 'tried'] as const).map((relay): Failure => ({ code: 'no-path', relay })),
  { code: 'setup-failed', detail: 'ICE failed' },
  { code: 'server-lost' },
  { code: 'server-busy' },
  { code: 'server-misrouted' },
  { code: 'broker-failed', type: 'invalid-key' },
];

const FAILURES: Failure[] = [
  { code: 'server-unreachable' },
  { code: 'server-answered', status: 502 },
  { code: 'storage-full' },
  { code: 'sender-closed' },
  { code: 'sender-went-away' },
  { code: 'no-file-list' },
  { code: 'files-changed', files: ['plans.pdf'] },
  { code: 'peer-stopped', by: 'sender', words: 'Sorry, wrong files' },
  { code: 'tampered-size', bytes: 13 },
  { code: 'impostor' },
  { code: 'not-proven', detail: 'bad proof' },
  { code: 'other-version', theirs: 3, ours: 4 },
  { code: 'integrity', file: 'plans.pdf' },
  { code: 'protocol', detail: 'a manifest twice' },
  { code: 'unexpected', detail: 'something odd' },
];

interface Case {
  name: string;
  state: ReceiveState;
  page: ReceivePage;
  /** The transfer cannot go on by itself: the person must be offered something to do. */
  final: boolean;
}

const online = (status: ReceivePage['status']): ReceivePage => ({ status, online: true });

function cases(): Case[] {
  const all: Case[] = [{ name: 'connecting', state: flow({ phase: 'connecting' }), page: online('connecting'), final: false }];
  for (const status of ['password', 'approval', 'waiting', 'transferring', 'done'] as const) {
    all.push({ name: status, state: flow({ snapshot: snapshot(status) }), page: online(status), final: false });
  }
  for (const received of [false, true]) {
    const kept = (state: ReceiverSnapshot) => (received ? halfStored(state) : { snapshot: state });
    const tag = received ? ', part received' : '';
    for (const reason of END_REASONS) {
      all.push({ name: `ended: ${reason}${tag}`, state: flow(kept(snapshot('ended', { ended: reason }))), page: online('ended'), final: true });
    }
    for (const failure of FAILURES) {
      all.push({ name: `failed: ${failure.code}${tag}`, state: flow(kept(snapshot('error', { failure }))), page: online('error'), final: true });
    }
    for (const failure of DIAL_FAILURES) {
      const base = { ...kept(snapshot('connecting')), ...unreachable(failure) };
      const name = `${failure.code}${'relay' in failure ? ` (${failure.relay})` : ''}${'type' in failure ? ` (${failure.type})` : ''}`;
      all.push({ name: `unreachable: ${name}${tag}`, state: flow({ ...base, phase: 'offline' }), page: online('error'), final: true });
      all.push({ name: `gave up: ${name}${tag}`, state: flow({ ...base, phase: 'offline', gaveUp: true }), page: online('error'), final: true });
      all.push({ name: `awaiting the sender: ${name}${tag}`, state: flow({ ...base, phase: 'offline', awaiting: true }), page: online('error'), final: true });
      all.push({ name: `reconnecting: ${name}${tag}`, state: flow({ ...base, phase: 'reconnecting' }), page: online('reconnecting'), final: false });
    }
    const otherError: Failure = { code: 'unexpected', detail: 'the server answered 502' };
    all.push({
      name: `unreachable: not a dial's error${tag}`,
      state: flow({ ...kept(snapshot('connecting')), phase: 'offline', ...unreachable(otherError) }),
      page: online('error'),
      final: true,
    });
    all.push({ name: `reconnecting: dropped${tag}`, state: flow({ ...kept(snapshot('transferring')), phase: 'reconnecting', trouble: { kind: 'dropped' } }), page: online('reconnecting'), final: false });
    all.push({
      name: `files changed${tag}`,
      state: flow({ ...kept(snapshot('error', { failure: { code: 'files-changed', files: ['plans.pdf'] } })), changed: ['plans.pdf'] }),
      page: online('error'),
      final: false,
    });
  }
  // The whole page offline: the offline notice speaks, with its own Try again.
  const offline = unreachable({ code: 'server-unreachable' });
  all.push({ name: 'page offline, connecting', state: flow({ phase: 'connecting' }), page: { status: 'connecting', online: false }, final: false });
  all.push({ name: 'page offline, unreachable', state: flow({ ...offline, phase: 'offline' }), page: { status: 'error', online: false }, final: false });
  all.push({
    name: 'page offline, part received',
    state: flow({ ...offline, ...halfStored(snapshot('connecting')), phase: 'offline' }),
    page: { status: 'error', online: false },
    final: false,
  });
  all.push({
    name: 'page offline, reconnecting',
    state: flow({ ...halfStored(snapshot('transferring')), phase: 'reconnecting', trouble: { kind: 'dropped' } }),
    page: { status: 'reconnecting', online: false },
    final: false,
  });
  return all;
}

/** Everything the view shows of `words`, in one language. */
function rendered(words: ReceiveWords, t: Messages): string[] {
  return [words.headline(t), ...(words.message ? [words.message(t)] : []), ...words.steps.map((step) => stepText(step)(t))];
}

/** The sentences among them: a button's label may also be a word of advice ("… then try again"). */
function sentences(words: ReceiveWords, t: Messages): string[] {
  return rendered({ ...words, steps: words.steps.filter((step) => step !== 'try-again') }, t);
}

/** A sentence's substance: case, closing punctuation and spacing aside. */
const gist = (text: string) => text.toLowerCase().replace(/[.…!:;]+$/u, '').replace(/\s+/g, ' ').trim();

describe('what the receiving page says', () => {
  const languages = [
    ['en', en],
    ['ru', ru],
  ] as const;

  it.each(cases().map((each) => [each.name, each] as const))('%s: each fact once, at most one Try again', (_, { state, page }) => {
    const words = receiveWords(state, page);
    for (const [language, t] of languages) {
      const shown = rendered(words, t);
      for (const text of shown) expect(text.trim(), `${language}: ${shown.join(' | ')}`).not.toBe('');
      expect(new Set(shown.map(gist)).size, `${language}: ${shown.join(' | ')}`).toBe(shown.length);
      const said = sentences(words, t);
      for (const [at, text] of said.entries()) {
        for (const other of said.slice(at + 1)) {
          expect(gist(other).includes(gist(text)) || gist(text).includes(gist(other)), `${language}: “${text}” and “${other}”`).toBe(false);
        }
      }
    }
    expect(words.steps.filter((step) => step === 'try-again').length).toBeLessThanOrEqual(1);
    expect(new Set(words.steps).size).toBe(words.steps.length);
  });

  it.each(cases().filter((each) => each.final).map((each) => [each.name, each] as const))('%s: offers a next step', (_, { state, page }) => {
    const words = receiveWords(state, page);
    const cannotConnectHere = state.lastDialFailure?.code === 'no-webrtc';
    // A browser without WebRTC: its message is the next step (open the link in another browser); nothing here can help.
    if (cannotConnectHere) expect(words.message?.(en)).toMatch(/Open the link in Chrome/);
    else expect(words.steps.filter((step) => step !== 'kept').length).toBeGreaterThan(0);
    // What was received is never lost from view, and nothing is promised where nothing was received.
    const received = state.kept && (state.snapshot?.progress.bytes ?? 0) > 0;
    if (received) expect(words.steps.includes('kept') || /is kept/.test(words.message?.(en) ?? '')).toBe(true);
    else expect(words.steps).not.toContain('kept');
    expect(words.showPath).toBe(false);
  });

  it('leaves the offline notice to say the page is offline, and to offer Try again', () => {
    for (const { name, state, page } of cases().filter((each) => !each.page.online)) {
      const words = receiveWords(state, page);
      expect(words.steps, name).not.toContain('try-again');
      for (const [, t] of languages) {
        for (const text of rendered(words, t)) {
          expect([t.app.offline, t.app.offlineTitle, t.app.serverAway, t.app.serverAwayTitle, t.errors.serverUnreachable], name).not.toContain(text);
        }
      }
    }
  });

  it('shows the connection path only while a connection carries the transfer', () => {
    const shown = cases()
      .filter(({ state, page }) => receiveWords(state, page).showPath)
      .map(({ name }) => name);
    expect(shown).toEqual(['password', 'approval', 'waiting', 'transferring', 'done']);
  });

  it('offers the steps that fit each ending', () => {
    const stepsOf = (state: ReceiveState, status: ReceivePage['status'] = 'error') => receiveWords(state, online(status)).steps;
    expect(stepsOf(flow({ snapshot: snapshot('ended', { ended: 'declined' }) }), 'ended')).toEqual(['ask-new-link', 'open-home']);
    expect(stepsOf(flow(halfStored(snapshot('ended', { ended: 'stopped' }))), 'ended')).toEqual(['kept', 'ask-new-link', 'open-home']);
    // Turned away, or let go after waiting too long: the link still works.
    expect(stepsOf(flow(halfStored(snapshot('ended', { ended: 'busy' }))), 'ended')).toEqual(['try-again', 'kept']);
    expect(stepsOf(flow({ snapshot: snapshot('ended', { ended: 'timed-out' }) }), 'ended')).toEqual(['try-again']);
    expect(stepsOf(flow(halfStored(snapshot('error', { failure: { code: 'integrity', file: 'plans.pdf' } }))))).toEqual(['try-again', 'kept']);
    expect(stepsOf(flow({ phase: 'offline', ...unreachable({ code: 'sender-offline' }) }))).toEqual([
      'try-again',
      'open-home',
    ]);
    expect(stepsOf(flow({ phase: 'offline', ...unreachable({ code: 'no-webrtc' }) }))).toEqual([]);
  });

  it('says, once, that the page keeps trying while it waits for the sender', () => {
    const waiting = flow({ phase: 'offline', awaiting: true, ...unreachable({ code: 'sender-offline' }) });
    const words = receiveWords(waiting, online('error'));
    expect(words.headline(en)).toBe('Sender offline');
    expect(words.message?.(en)).toBe('Their Ferry page is closed: ask them to open it again. This page keeps trying, and carries on by itself once they are back.');
    expect(receiveWords({ ...waiting, awaiting: false }, online('error')).message?.(en)).toBe('Their Ferry page is closed: ask them to open it again.');
  });

  it('says the receiver’s waits in the receiver’s own words, in both languages', () => {
    const approval = receiveWords(flow({ snapshot: snapshot('approval') }), online('approval'));
    expect(approval.headline(ru)).toBe('Ждём разрешения');
    expect(approval.message?.(ru)).toMatch(/^Отправитель решает/);
    expect(approval.headline(en)).toBe('Waiting for approval');
  });
});

describe('countdown', () => {
  it('says what is left in minutes and seconds, rounded up', () => {
    expect(countdown(42_000)).toBe('0:42');
    expect(countdown(41_001)).toBe('0:42');
    expect(countdown(60_000)).toBe('1:00');
    expect(countdown(12 * 60_000 + 5_000)).toBe('12:05');
    expect(countdown(3_600_000)).toBe('1:00:00');
    expect(countdown(0)).toBe('0:00');
    expect(countdown(-5)).toBe('0:00');
  });
});
