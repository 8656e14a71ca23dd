/**
 * The receiving page's state: a ReceiveFlow (session/receive-flow.ts) over this
 * browser's storage, its state held in one rune, plus what only a page does with the files —
 * save them, one by one, into a folder, or as a ZIP.
 */
import { SvelteSet } from 'svelte/reactivity';
import { watchPath, type ConnectionPath } from '../net/connection-path.ts';
import { dial } from '../net/dial.ts';
import { NOT_STARTED, ReceiveFlow, type Blocked, type Phase, type ReceiveState } from '../session/receive-flow.ts';
import { roomFor } from '../storage/quota.ts';
import { openStoredTransfer, storageError, type StoredTransfer } from '../storage/received-bytes.ts';
import { downloadUrl } from '../common/download-url.ts';
import {
  NotAllSavedError,
  saveFile,
  saveFiles,
  saveWay,
  saveZip,
  TooLargeToSaveError,
  type Saveable,
  type SaveWay,
} from '../storage/save.ts';
import { canShareFiles, SHARE_SHEET_LIMIT, shareFiles, TooLargeToShareError } from '../storage/share-sheet.ts';
import { verifiedFiles } from '../storage/stored-file.ts';
import { zipOf } from '../storage/zip.ts';
import { deleteTransfer, findTransfer, saveTransfer } from '../storage/transfers.ts';
import { senderMayReturn } from '../transfer/failure.ts';
import type { ShareAddress } from '../transfer/link.ts';
import { displayName, zipName } from '../common/names.ts';
import type { ReceiverState } from '../transfer/receiver.ts';
import { appUpdate } from './app-update.svelte.ts';
import { formatBytes } from './format.ts';
import type { Phrase } from './i18n/en.ts';
import { errorText, failureText } from './i18n/errors.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { notifyIfHidden } from './notify.ts';
import { ownDevice } from './own-device.ts';
import { receiveWords, type ReceiveWords } from './receive-words.ts';

export type { Phase };

export class Receive {
  /**
   * The flow's whole state (session/receive-flow.ts says what each field means),
   * replaced on each change; the page's words are chosen from it (receive-words.ts).
   */
  flow = $state.raw<ReceiveState>(NOT_STARTED);
  /** Which way the bytes travel on the current (or last) connection. */
  path = $state.raw<ConnectionPath | null>(null);
  /**
   * The files to list and save: the session's, or, while no session has the list (the
   * sender is out of reach, or still being dialled), what this device already holds.
   */
  readonly listed = $derived.by(() => {
    const { snapshot, held } = this.flow;
    return snapshot && snapshot.files.length > 0 ? snapshot : held;
  });
  /** Something that stopped Download or Save from working. */
  notice = $state.raw<Phrase | null>(null);
  /** The value of the transfer-status element. */
  state = $state<ReceiverState | 'reconnecting'>('connecting');

  readonly #flow: ReceiveFlow<StoredTransfer>;
  /** What stopped Download last, so that a save's notice is not overwritten by an old one. */
  #blocked: Blocked | null = null;
  /** Files handed to the person at least once (shown as saved). */
  readonly saved = new SvelteSet<number>();

  constructor(readonly address: ShareAddress) {
    this.#flow = new ReceiveFlow({
      address,
      dial: async (signal) => {
        // Every attempt fetches the ICE servers anew: TURN credentials expire.
        const { peer, connection } = await dial(location.origin, address, signal);
        watchPath(connection.peerConnection, (path) => (this.path = path), signal);
        return { ...connection, close: () => peer.destroy() };
      },
      book: {
        find: findTransfer,
        // A full quota is said as a full disk, as the transfer's own writes say it.
        save: (record) => saveTransfer(record).catch((error: unknown) => Promise.reject(storageError(error))),
        delete: deleteTransfer,
        open: (record) => openStoredTransfer(record.id, record.files),
      },
      device: ownDevice(),
      roomFor,
      waitsFor: senderMayReturn,
      onchange: () => this.#changed(this.#flow.state),
      ondone: (snapshot) =>
        // A text alone is not quoted on the lock screen: it may be a password.
        snapshot.files.length === 0
          ? void notifyIfHidden(i18n.t.text.receivedTitle, i18n.t.text.receivedBody)
          : void notifyIfHidden(i18n.t.notify.receivedTitle, i18n.t.notify.receivedBody(snapshot.files.length)),
    });
  }

  /** What the page says now, with the browser online or not (receive-words.ts). */
  words(online: boolean): ReceiveWords {
    return receiveWords(this.flow, { status: this.state, online });
  }

  #changed(state: ReceiveState): void {
    this.flow = state;
    this.state = this.#flow.status;
    if (state.blocked !== this.#blocked) {
      this.#blocked = state.blocked;
      if (state.blocked) this.notice = blockedPhrase(state.blocked);
    }
  }

  connect(): Promise<void> {
    return this.#flow.connect();
  }

  download(): void {
    this.#flow.download();
  }

  /** Sends the password the person typed; the sender's answer comes as a new snapshot. */
  submitPassword(password: string): void {
    this.#flow.submitPassword(password);
  }

  /** How files can be saved here (storage/save.ts); a service worker may take control meanwhile. */
  get saveWay(): SaveWay {
    return saveWay(appUpdate.controlled);
  }

  async save(index: number): Promise<void> {
    const file = this.#saveable(index);
    if (!file) return;
    await this.#saving(async () => {
      if ((await saveFile(file, this.saveWay)) !== 'cancelled') this.saved.add(index);
    });
  }

  /** Whether files can go to the system's share sheet (Save to Photos, Save to Files): phones. */
  readonly canShare = canShareFiles();

  /** Hands verified files (these, or all) to the share sheet; too large, saves them as downloads and says why. */
  async share(indices = this.#verified()): Promise<void> {
    const files = indices.map((index) => this.#saveable(index)!);
    await this.#saving(async () => {
      try {
        if ((await shareFiles(files)) === 'shared') indices.forEach((index) => this.saved.add(index));
      } catch (error) {
        if (!(error instanceof TooLargeToShareError)) throw error;
        for (const [at, file] of files.entries()) if ((await saveFile(file, this.saveWay)) !== 'cancelled') this.saved.add(indices[at]!);
        this.notice = (t) => t.receive.tooLargeToShare(formatBytes(SHARE_SHEET_LIMIT, t));
      }
    });
  }

  /** Every verified file: into one folder the person picks, or as downloads one by one. */
  async saveAll(): Promise<void> {
    const indices = this.#verified();
    const files = indices.map((index) => this.#saveable(index)!);
    await this.#saving(async () => {
      try {
        if ((await saveFiles(files, this.saveWay)) !== 'cancelled') indices.forEach((index) => this.saved.add(index));
      } catch (error) {
        // The rest of the batch was saved: only the failed files still need saving.
        if (error instanceof NotAllSavedError) {
          const failed = new Set(error.failures.map((failure) => failure.index));
          indices.forEach((index, at) => failed.has(at) || this.saved.add(index));
        }
        throw error;
      }
    });
  }

  /** Every file in one ZIP, streamed from storage. */
  async saveZip(): Promise<void> {
    const record = this.#flow.record;
    if (!record || this.flow.snapshot?.state !== 'done') return;
    const zip = {
      name: zipName(record.files.map((file) => file.name)),
      url: downloadUrl(record.id, 'zip'),
      stream: async () => zipOf(await verifiedFiles(record)).stream,
    };
    await this.#saving(async () => {
      if ((await saveZip(zip, this.saveWay)) !== 'cancelled') record.files.forEach((_, index) => this.saved.add(index));
    });
  }

  /** A verified file's bytes, for its preview; null until it is verified. */
  bytesOf(index: number): (() => Promise<Blob>) | null {
    if (this.listed?.outcomes[index] !== 'verified') return null;
    const file = this.#saveable(index);
    return file && file.blob;
  }

  #verified(): number[] {
    return (this.listed?.outcomes ?? []).flatMap((outcome, index) => (outcome === 'verified' ? [index] : []));
  }

  #saveable(index: number): Saveable | null {
    const file = this.listed?.files[index];
    const store = this.#flow.store;
    const record = this.#flow.record;
    if (!file || !store || !record) return null;
    return { name: file.name, size: file.size, blob: () => store.blob(index, file.type), url: downloadUrl(record.id, index) };
  }

  /** Closes, and deletes this transfer and everything stored for it; false (with a notice) if storage refused. */
  async delete(): Promise<boolean> {
    try {
      await this.#flow.delete();
    } catch (error) {
      this.notice = (t) => t.receive.deleteFailed(errorText(error)(t));
      return false;
    }
    return true;
  }

  close(): void {
    this.#flow.close();
  }

  /** The sender's files changed: delete what was stored, connect again, and offer the new files. */
  async startOver(): Promise<void> {
    try {
      await this.#flow.startOver();
    } catch (error) {
      this.notice = (t) => t.receive.deleteFailed(errorText(error)(t));
      return;
    }
    this.saved.clear();
  }

  /** The sender's files changed: stop, keeping what was stored (the sender may offer the old ones again). */
  keepOld(): void {
    this.#flow.keepOld();
  }

  async #saving(work: () => Promise<void>): Promise<void> {
    this.notice = null;
    try {
      // Committed and closed, so the service worker (or a Blob) reads every byte.
      await this.#flow.store?.release();
      await work();
      const record = this.#flow.record;
      if (record && this.saved.size === record.files.length) await this.#flow.markSaved();
    } catch (error) {
      this.notice =
        error instanceof TooLargeToSaveError
          ? (t) => (error.file === null ? t.receive.zipNeedsWorker : t.receive.tooLargeToSave(error.file!))
          : error instanceof NotAllSavedError
            ? notAllSaved(error)
            : (t) => t.receive.saveFailed(errorText(error)(t));
    }
  }
}

function blockedPhrase(blocked: Blocked): Phrase {
  if (blocked.kind === 'storage') return failureText(blocked.failure);
  const { needed, free } = blocked.shortfall;
  return (t) => t.receive.noRoom(formatBytes(needed, t), formatBytes(Math.max(0, free), t));
}

/** Which files were not saved and why the first one failed. */
function notAllSaved({ failures }: NotAllSavedError): Phrase {
  return (t) => t.receive.notAllSaved(someNames(failures.map((failure) => failure.path))(t), errorText(failures[0]!.error)(t));
}

/** The first few names, made safe to show, then how many more. */
export function someNames(paths: readonly string[]): Phrase {
  const shown = paths.slice(0, 3).map(displayName);
  const more = paths.length - shown.length;
  return (t) => shown.join(', ') + (more > 0 ? ` ${t.files.more(more)}` : '');
}
