/**
 * The sending side's page: the share this browser offers, kept by a ShareKeeper
 * (session/share-keeper.ts) over IndexedDB and our own server's broker, its state
 * held in one rune, its failures put into words and its receivers' news into
 * notifications.
 */
import { newBrokerToken } from '../common/broker-ids.ts';
import { shareBroker } from '../net/share-broker.ts';
import type { ReceiverRow } from '../session/receiver-rows.ts';
import { SentLog } from '../session/sent-log.ts';
import { ShareKeeper, type ShareError, type ShareState } from '../session/share-keeper.ts';
import { recordSent } from '../storage/sent.ts';
import { deleteShare, loadShare, saveShare } from '../storage/shares.ts';
import { textTooLong } from '../transfer/messages.ts';
import type { FileSource } from '../transfer/file-source.ts';
import type { Expiry } from '../session/share-life.ts';
import type { Phrase } from './i18n/en.ts';
import { failureText } from './i18n/errors.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { notifyIfHidden } from './notify.ts';
import { ownDevice } from './own-device.ts';
import { deviceWords } from './device-words.ts';
import { history } from './transfers.svelte.ts';

export type { ReceiverRow };

/** The share this page offers: the keeper's state as runes, and the form for the next share. */
export class Share {
  /** The text for the next share, as typed; empty for none. */
  draft = $state('');
  /**
   * The password for the next share, as typed; empty for none. Only its key is kept
   * with the share (auth.ts passwordKey), never the password itself.
   */
  password = $state('');
  /** "Ask me first" for the next share; follows the open share's own setting, so a new share starts as the last one ended. */
  askFirst = $state(false);

  /** What came of each share, for the home page's history. */
  readonly #sent = new SentLog(async (id, shared, event) => {
    await recordSent(id, shared, event);
    void history.refresh();
  });
  readonly #keeper = new ShareKeeper({
    records: { load: loadShare, save: saveShare, delete: deleteShare },
    broker: shareBroker(location.origin),
    newBrokerToken,
    origin: location.origin,
    device: ownDevice,
    onchange: (state) => {
      this.#sent.changed(state);
      this.state = state;
      this.askFirst = state.askFirst;
    },
    onfinished: (row) => {
      this.#sent.finished(row);
      void notifyIfHidden(i18n.t.notify.sentTitle, i18n.t.notify.sentBody(receiverLabel(row)));
    },
    onasking: (row) => void notifyIfHidden(i18n.t.notify.askTitle, i18n.t.notify.askBody(receiverLabel(row))),
  });
  /** The keeper's ShareState (session/share-keeper.ts says what each field means), replaced whole on each change. */
  state = $state.raw<ShareState>(this.#keeper.state);
  /** The keeper's error code, compared by identity so that `error` words it once, not on every change. */
  readonly #errorCode = $derived(this.state.error);
  /** What went wrong, in the person's language. */
  readonly error = $derived(this.#errorCode && shareErrorText(this.#errorCode));

  /** Picks up the share this browser was offering before the page reloaded, if any. */
  restore(): Promise<void> {
    return this.#keeper.restore();
  }

  /** Ends the link at once: every receiver is told, and the link is dead. */
  end(): void {
    this.#keeper.end();
  }

  /** Sets when the link ends on its own; a time counts from now. */
  setExpiry(kind: Expiry): void {
    this.#keeper.setExpiry(kind);
  }

  /** A finished share, offered again: the same files are asked for, as after any reload. */
  keepSharing(): void {
    this.#keeper.keepSharing();
  }

  /** Whether a share is open here, or saved by this tab or another, that starting a new one would end. */
  offering(): Promise<boolean> {
    return this.#keeper.offering();
  }

  /** Whether a share is going or kept: files, a text, or both. */
  get offers(): boolean {
    return this.state.files.length > 0 || this.state.text !== null;
  }

  /**
   * A new share of `files` and the typed text, under a new link, with the password and
   * "ask me first" set for it (all kept for Try again).
   */
  start(files: FileSource[]): Promise<void> {
    // Blank is no text; anything else goes as typed (a password's spaces matter).
    return this.#keeper.start(files, { password: this.password, askFirst: this.askFirst }, this.draft.trim() === '' ? '' : this.draft);
  }

  /** Whether the typed text is too long to share (the form says so and starts nothing). */
  get draftTooLong(): boolean {
    return textTooLong(this.draft);
  }

  /** The same files again, after a reload: matched to the share, and checked by hash where known. */
  addFilesAgain(picked: FileSource[]): Promise<void> {
    return this.#keeper.addFilesAgain(picked);
  }

  /** Ends the link and deletes the saved share: its link stops working, and whoever is connected is told so. */
  endAndDelete(): Promise<void> {
    this.password = '';
    this.draft = '';
    return this.#keeper.endAndDelete();
  }

  /** Closes every connection; the share itself is kept, for after a reload. */
  close(): void {
    this.#keeper.close();
  }

  /** Turns "ask me first" on or off while sharing; off lets in whoever is waiting. */
  setAskFirst(on: boolean): void {
    this.#keeper.setAskFirst(on);
  }

  /** Asks receivers of the open share for `password` from now on; those already let in are not asked. */
  setPassword(password: string): void {
    this.#keeper.setPassword(password);
  }

  /** The server is back: registers the share again now, not when the next attempt is due. */
  reconnectNow(): void {
    this.#keeper.reconnectNow();
  }

  /** The person's answer for a receiver waiting for approval (by its row). */
  decide(row: string, allow: boolean): void {
    this.#keeper.decide(row, allow);
  }
}

/** A share's error in the person's language. */
function shareErrorText(error: ShareError): Phrase {
  switch (error.kind) {
    case 'not-all-added':
      return (t) => t.send.notAllAdded;
    case 'changed':
      return (t) => t.send.changed(error.file);
    case 'broker':
      return failureText(error.failure);
  }
}

/** What the person sending calls a receiver: its own description of its device, labelled as such, else "Receiver N". */
export function receiverLabel(row: ReceiverRow): string {
  return row.device === null ? i18n.t.send.receiver(row.number) : i18n.t.send.selfReported(deviceWords(row.device)(i18n.t));
}

/** One share per page: it outlives switching views, e.g. opening one's own link. */
export const share = new Share();

// Closing the tab closes every receiver's connection at once, so they hear it now rather
// than when their connection times out. The share is kept for when the page returns.
addEventListener('pagehide', (event) => {
  if (!event.persisted) share.close();
});
void share.restore();
