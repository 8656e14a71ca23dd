/**
 * What the receiving page says in each state, as a pure function of that state: a
 * headline, at most one message, and what the person can do next. Each fact is said
 * once — the headline names it, the message says why or what helps, never the
 * headline again — and every state that cannot go on says what can be done instead.
 * ReceiveView renders it; tests/unit/ui/receive-words.test.ts walks every state.
 */
import type { ReceiveState } from '../session/receive-flow.ts';
import type { ReceiverState } from '../transfer/receiver.ts';
import { retryCanHelp } from '../transfer/failure.ts';
import type { Phrase } from './i18n/en.ts';
import { dialWords, failureText } from './i18n/errors.ts';

/**
 * What can be done when a transfer cannot go on: dial again ('try-again', a button),
 * ask the sender for a new link (words), go to the home page to send files oneself (a
 * link), or keep what was received (words: it stays here, to be saved).
 */
export type NextStep = 'try-again' | 'ask-new-link' | 'open-home' | 'kept';

export interface ReceiveWords {
  headline: Phrase;
  message: Phrase | null;
  steps: readonly NextStep[];
  /** Whether the connection path badge belongs: only while a connection carries the transfer. */
  showPath: boolean;
}

/** The page around the transfer. */
export interface ReceivePage {
  /** What the transfer-status element says (ReceiveFlow.status). */
  status: ReceiverState | 'reconnecting';
  /** Whether the browser has a network; when not, the offline notice says so and offers Try again. */
  online: boolean;
}

const STEPS = {
  'try-again': (t) => t.common.tryAgain,
  'ask-new-link': (t) => t.receive.askNewLink,
  'open-home': (t) => t.receive.openHome,
  kept: (t) => t.receive.keptHere,
} satisfies Record<NextStep, Phrase>;

/** A next step in the page's language. */
export function stepText(step: NextStep): Phrase {
  return STEPS[step];
}

/** States in which a live connection carries the transfer (and the path badge means something). */
const CONNECTED: ReadonlySet<ReceivePage['status']> = new Set(['password', 'approval', 'waiting', 'transferring', 'done']);

export function receiveWords(state: ReceiveState, { status, online }: ReceivePage): ReceiveWords {
  const shown = state.snapshot && state.snapshot.files.length > 0 ? state.snapshot : state.held;
  const received = state.kept && (shown?.progress.bytes ?? 0) > 0;
  const kept: NextStep[] = received ? ['kept'] : [];
  const words = (headline: Phrase, message: Phrase | null = null, steps: readonly NextStep[] = []): ReceiveWords => ({
    headline,
    message,
    steps,
    showPath: false,
  });

  const ended = state.snapshot?.ended ?? null;
  if (ended === 'busy' || ended === 'timed-out') return words((t) => t.receive.endedTitle[ended], (t) => t.receive.endedForNow, ['try-again', ...kept]);
  if (ended) return words((t) => t.receive.endedTitle[ended], null, [...kept, 'ask-new-link', 'open-home']);
  // The choice between starting over and keeping the old files is the next step; its group says why.
  if (state.changed) return words((t) => t.receive.filesChangedTitle);

  const dialing = state.phase !== 'session';
  if (dialing && !online) return words((t) => t.receive.waitingForNetwork, null, kept);
  if (state.phase === 'offline') {
    const failure = state.lastDialFailure;
    const retry = !failure || retryCanHelp(failure) ? (['try-again'] as const) : [];
    const home: NextStep[] = failure?.code === 'sender-offline' ? ['open-home'] : [];
    if (!failure) return words((t) => t.receive.senderOffline, null, [...retry, ...kept, ...home]);
    const { headline, advice } = dialWords(failure);
    // Said after what helps, as one message: the page goes on by itself, and the person may still press Try again.
    const message: Phrase | null = state.awaiting ? (t) => [advice?.(t), t.receive.awaitingSender].filter(Boolean).join(' ') : advice;
    return words(headline, message, [...retry, ...kept, ...home]);
  }
  if (state.phase === 'reconnecting') {
    const trouble = state.trouble;
    const why: Phrase | null = !trouble ? null : trouble.kind === 'dropped' ? (t) => t.receive.dropped : failureText(trouble.failure);
    return words((t) => t.status.reconnecting, why);
  }

  const failure = state.snapshot?.failure ?? null;
  if (status === 'error') {
    // A full disk's own sentence says that what was received is kept.
    const keep = failure?.code === 'storage-full' ? [] : kept;
    return words((t) => t.status.error, failure && failureText(failure), ['try-again', ...keep]);
  }
  const headline: Phrase =
    status === 'approval' ? (t) => t.receive.approvalTitle
    : status === 'waiting' ? (t) => t.receive.ready
    : (t) => t.status[status];
  const message: Phrase | null = status === 'approval' ? (t) => t.receive.approvalWaiting : null;
  return { headline, message, steps: [], showPath: CONNECTED.has(status) };
}

/** "0:42", "12:05", "1:00:00": what is left of a wait, rounded up to the second. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const [hours, minutes, seconds] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds)}` : `${minutes}:${two(seconds)}`;
}
