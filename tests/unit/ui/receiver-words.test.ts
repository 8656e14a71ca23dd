import { describe, expect, it } from 'vitest';
import { receiverDoing, type ReceiverDoing } from '../../../app/src/session/receiver-doing.ts';
import type { ReceiverRow } from '../../../app/src/session/receiver-rows.ts';
import type { PasswordTally } from '../../../app/src/transfer/password-guard.ts';
import type { SenderSnapshot } from '../../../app/src/transfer/sender.ts';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { receiverWords } from '../../../app/src/ui/receiver-words.ts';

type Row = Pick<ReceiverRow, 'snapshot' | 'password' | 'left'>;

function row(
  state: SenderSnapshot['state'],
  { ended = null, password = null, left = false, held = false }: Partial<SenderSnapshot & { password: PasswordTally | null; left: boolean }> = {},
): Row {
  const snapshot: SenderSnapshot = {
    state,
    progress: { bytes: 36, total: 100, rate: 0, eta: null },
    sentBytes: 0,
    filesConfirmed: 0,
    receiverKey: 'a',
    device: null,
    held,
    ended,
    failure: state === 'error' ? { code: 'protocol', detail: 'a request past the end' } : null,
    error: null,
  };
  return { snapshot, password, left };
}

/** A row in every state, and every state with each kind of extra it can carry. */
const ROWS: Row[] = [
  row('connecting'),
  row('password'),
  row('password', { password: { wrong: 1, lockedForMs: 0 } }),
  row('password', { password: { wrong: 5, lockedForMs: 60_000 } }),
  row('approval'),
  row('approval', { held: true }),
  row('waiting'),
  row('transferring'),
  row('done'),
  row('ended', { ended: 'declined' }),
  row('ended', { ended: 'stopped' }),
  row('ended', { ended: 'expired' }),
  row('error'),
  row('error', { left: true }),
];

describe('what a receiver’s row says', () => {
  it('follows the receiver in words, with its wrong passwords and lockout', () => {
    const say = (each: Row) => receiverWords(receiverDoing(each), en).headline;
    expect(ROWS.map(say)).toEqual([
      'Connecting…',
      'Entering the password',
      '1 wrong password',
      '5 wrong passwords, locked for 1 minute',
      'Waiting for you to allow',
      'Typed a password while someone is guessing it: allow to check it',
      'Looking at the files',
      'Downloading',
      'Done',
      'Declined',
      'Told that sharing stopped',
      'Told that the link expired',
      'Failed',
      'Left',
    ]);
    expect(receiverWords({ kind: 'locked-out', wrong: 10, lockedForMs: 61_000 }, ru).headline).toBe('10 неверных паролей, заблокирован на 2 минуты');
  });

  it('never says one fact twice: each kind has words of its own, and only a failure has a detail, which says why', () => {
    for (const t of [en, ru]) {
      const said = ROWS.map((each) => receiverWords(receiverDoing(each), t));
      const headlines = said.map((words) => words.headline);
      expect(new Set(headlines).size).toBe(headlines.length);
      for (const [at, words] of said.entries()) {
        const doing: ReceiverDoing = receiverDoing(ROWS[at]!);
        if (doing.kind !== 'failed') expect(words.detail).toBeNull();
        else expect(words.detail).not.toContain(words.headline);
        // One sentence: no full stop inside it.
        expect(words.headline).not.toMatch(/[.!?]\s/);
      }
    }
  });
});
