/**
 * The receiving side's state: reach the sender through the broker, run a
 * ReceiverSession over durable storage, and keep going when the connection drops —
 * redial with backoff and ask only for what is missing. Reopening the link (or
 * picking the transfer from the list) resumes the same way.
 */
import type Peer from 'peerjs';
import type { OpenConnection } from '../net/broker.ts';
import { watchPath, type ConnectionPath } from '../net/connection-path.ts';
import { dial } from '../net/dial.ts';
import { roomFor } from '../storage/quota.ts';
import { openStoredTransfer, storageError, type StoredTransfer } from '../storage/received-bytes.ts';
import { downloadUrl } from '../storage/download-url.ts';
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
import { verifiedFiles } from '../storage/stored-file.ts';
import { zipOf } from '../storage/zip.ts';
import {
  deleteTransfer,
  findTransfer,
  newTransfer,
  newTransferId,
  saveTransfer,
  type TransferRecord,
} from '../storage/transfers.ts';
import { describeDevice } from '../transfer/device.ts';
import type { ShareAddress } from '../transfer/link.ts';
import type { EndReason, FileDescription } from '../transfer/messages.ts';
import { displayName, zipName } from '../transfer/names.ts';
import { endedSnapshot, ReceiverSession, type ReceiverSnapshot, type ReceiverState } from '../transfer/receiver.ts';
import { appUpdate } from './app-update.svelte.ts';
import { formatBytes } from './format.ts';
import type { Phrase } from './i18n/en.ts';
import { dialHeadline, errorText } from './i18n/errors.ts';
import { i18n } from './i18n/locale.svelte.ts';
import { notifyIfHidden } from './notify.ts';

/** Waits between reconnection attempts; the last one repeats. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15_000];
/** After this long without getting through, stop and let the person retry. */
const GIVE_UP_MS = 10 * 60_000;
/** How often the transfer list's summary is brought up to date. */
const RECORD_INTERVAL_MS = 1000;

export type Phase = 'connecting' | 'offline' | 'session' | 'reconnecting';

export class Receive {
  phase = $state<Phase>('connecting');
  /** Why the sender cannot be reached, or why we are reconnecting. */
  problem = $state.raw<Phrase | null>(null);
  /** What went wrong in a word or two ("Sender offline", "No connection"), with `problem`. */
  headline = $state.raw<Phrase | null>(null);
  /** Which way the bytes travel on the current (or last) connection. */
  path = $state.raw<ConnectionPath | null>(null);
  snapshot = $state.raw<ReceiverSnapshot | null>(null);
  /** Something that stopped Download or Save from working. */
  notice = $state.raw<Phrase | null>(null);
  /** The sender's files changed since this transfer began (these did): start over, or keep what is stored? */
  changed = $state.raw<readonly string[] | null>(null);

  #peer: Peer | null = null;
  #session: ReceiverSession | null = null;
  /** Aborted when the current dial or connection is given up. */
  #line = new AbortController();
  #record: TransferRecord | null = null;
  #store: StoredTransfer | null = null;
  #id = newTransferId();
  /** The person chose Download (now or on an earlier visit): resume without asking. */
  #accepted = false;
  #attempt = 0;
  #failures = 0;
  #droppedAt = 0;
  #recordedAt = 0;
  /** Files handed to the person at least once. */
  #saved = new Set<number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly address: ShareAddress) {}

  /** Something of this transfer is kept on this device (there is something to delete). */
  kept = $state(false);

  /** The value of the transfer-status element. */
  get state(): ReceiverState | 'reconnecting' {
    if (this.phase === 'offline') return 'error';
    if (this.phase === 'reconnecting') return 'reconnecting';
    return this.snapshot?.state ?? 'connecting';
  }

  async connect(): Promise<void> {
    this.close();
    this.phase = 'connecting';
    this.problem = null;
    this.headline = null;
    this.changed = null;
    this.#failures = 0;
    if (!this.#record) {
      let found: TransferRecord | undefined;
      try {
        found = await findTransfer(this.address);
      } catch (error) {
        // No IndexedDB (some private windows): we can still receive, just not resume.
        console.warn('cannot read stored transfers', error);
      }
      if (found) {
        this.#keep(found);
        this.#id = found.id;
        this.#accepted = true;
      }
    }
    const ended = this.#record?.ended;
    if (ended) return this.#showEnded(this.#record!, ended.reason);
    await this.#dial();
  }

  /** The sender ended this link on an earlier visit: say so from what is stored, without calling again. */
  async #showEnded(record: TransferRecord, reason: EndReason): Promise<void> {
    this.phase = 'session';
    try {
      this.#store = await openStoredTransfer(record.id, record.files);
      this.snapshot = endedSnapshot(record.files, this.#store, reason);
    } catch (error) {
      console.warn('cannot read what was received', error);
      this.snapshot = endedSnapshot(record.files, { ranges: () => [], isVerified: () => false }, reason);
    }
  }

  download(): void {
    this.#accepted = true;
    void this.#begin();
  }

  /** Sends the password the person typed; the sender's answer comes as a new snapshot. */
  submitPassword(password: string): void {
    this.#session?.password(password).catch(() => {
      // Not asked for any more, or the link dropped: the session reports that itself.
    });
  }

  /** How files can be saved here (storage/save.ts); a service worker may take control meanwhile. */
  get saveWay(): SaveWay {
    return saveWay(appUpdate.controlled);
  }

  async save(index: number): Promise<void> {
    const file = this.#saveable(index);
    if (!file) return;
    await this.#saving(async () => {
      if ((await saveFile(file, this.saveWay)) !== 'cancelled') this.#saved.add(index);
    });
  }

  /** Every verified file: into one folder the person picks, or as downloads one by one. */
  async saveAll(): Promise<void> {
    const indices = this.#verified();
    const files = indices.map((index) => this.#saveable(index)!);
    await this.#saving(async () => {
      try {
        if ((await saveFiles(files, this.saveWay)) !== 'cancelled') indices.forEach((index) => this.#saved.add(index));
      } catch (error) {
        // The rest of the batch was saved: only the failed files still need saving.
        if (error instanceof NotAllSavedError) {
          const failed = new Set(error.failures.map((failure) => failure.index));
          indices.forEach((index, at) => failed.has(at) || this.#saved.add(index));
        }
        throw error;
      }
    });
  }

  /** Every file in one ZIP, streamed from storage. */
  async saveZip(): Promise<void> {
    const record = this.#record;
    if (!record || this.snapshot?.state !== 'done') return;
    const zip = {
      name: zipName(record.files.map((file) => file.name)),
      url: downloadUrl(record.id, 'zip'),
      stream: async () => zipOf(await verifiedFiles(record)).stream,
    };
    await this.#saving(async () => {
      if ((await saveZip(zip, this.saveWay)) !== 'cancelled') record.files.forEach((_, index) => this.#saved.add(index));
    });
  }

  #verified(): number[] {
    return (this.snapshot?.outcomes ?? []).flatMap((outcome, index) => (outcome === 'verified' ? [index] : []));
  }

  #saveable(index: number): Saveable | null {
    const file = this.snapshot?.files[index];
    const store = this.#store;
    const record = this.#record;
    if (!file || !store || !record) return null;
    return { name: file.name, size: file.size, blob: () => store.blob(index, file.type), url: downloadUrl(record.id, index) };
  }

  /** Stops and forgets this transfer and everything stored for it. */
  async discard(): Promise<boolean> {
    this.close();
    try {
      // A batch still committing would write its ranges back after the delete.
      await this.#store?.flush().catch(() => {});
      if (this.#record) await deleteTransfer(this.#record);
    } catch (error) {
      this.notice = (t) => t.receive.deleteFailed(errorText(error)(t));
      return false;
    }
    this.#keep(null);
    this.#store = null;
    return true;
  }

  close(): void {
    this.#attempt += 1;
    this.#hangUp();
  }

  /** The sender's files changed: delete what was stored, connect again, and offer the new files. */
  async startOver(): Promise<void> {
    if (!(await this.discard())) return;
    this.#accepted = false;
    this.#saved.clear();
    await this.connect();
  }

  /** The sender's files changed: stop, keeping what was stored (the sender may offer the old ones again). */
  keepOld(): void {
    this.close();
    this.changed = null;
  }

  #hangUp(): void {
    clearTimeout(this.#timer);
    this.#line.abort();
    const session = this.#session;
    this.#session = null;
    session?.close();
    this.#peer?.destroy();
    this.#peer = null;
  }

  async #dial(): Promise<void> {
    const attempt = ++this.#attempt;
    const line = new AbortController();
    this.#line = line;
    try {
      // Every attempt fetches the ICE servers anew: TURN credentials expire.
      const { peer, open } = await dial(location.origin, this.address, line.signal);
      if (attempt !== this.#attempt) return peer.destroy();
      this.#peer = peer;
      watchPath(open.peerConnection, (path) => (this.path = path), line.signal);
      this.#startSession(open);
    } catch (error) {
      if (line.signal.aborted) return;
      this.#unreachable(attempt, error);
    }
  }

  /** The sender could not be reached: say so, or keep trying if we are mid-transfer. */
  #unreachable(attempt: number, error: unknown): void {
    if (attempt !== this.#attempt || this.#session) return;
    this.#hangUp();
    const problem = errorText(error);
    this.headline = dialHeadline(error);
    if (this.phase === 'reconnecting') return this.#redial(problem);
    this.phase = 'offline';
    this.problem = problem;
  }

  #redial(problem: Phrase): void {
    if (Date.now() - this.#droppedAt > GIVE_UP_MS) {
      this.phase = 'offline';
      this.problem = (t) => t.receive.gaveUp(problem(t));
      // The headline of the last failure stays: it says whose side the trouble is on.
      this.headline ??= (t) => t.receive.senderOffline;
      return;
    }
    this.phase = 'reconnecting';
    this.problem = problem;
    const delay = BACKOFF_MS[Math.min(this.#failures++, BACKOFF_MS.length - 1)]!;
    this.#timer = setTimeout(() => void this.#dial(), delay);
  }

  #startSession(open: OpenConnection): void {
    const session = new ReceiverSession({
      channel: open.channel,
      maxMessageSize: open.maxMessageSize,
      fingerprints: open.fingerprints,
      secret: this.address.secret,
      senderKey: this.address.senderKey,
      session: this.#id,
      device: ownDevice(),
      openStore: (files) => this.#openStore(files),
      onchange: (snapshot) => this.#update(session, snapshot),
    });
    this.#session = session;
    // A reconnection counts as reconnecting until bytes flow again.
    if (this.phase !== 'reconnecting') this.phase = 'session';
    this.snapshot = session.snapshot;
    void session.start();
  }

  #update(session: ReceiverSession, snapshot: ReceiverSnapshot): void {
    if (session !== this.#session) return;
    const finished = snapshot.state === 'done' && this.snapshot?.state !== 'done';
    this.snapshot = snapshot;
    if (finished) void notifyIfHidden(i18n.t.notify.receivedTitle, i18n.t.notify.receivedBody(snapshot.files.length));
    if (snapshot.state !== 'connecting' && snapshot.state !== 'waiting') this.phase = 'session';
    if (snapshot.state === 'waiting' && this.#accepted) void this.#begin();
    if (snapshot.state === 'done') this.#failures = 0;
    if (snapshot.filesChanged) this.changed = snapshot.filesChanged;
    void this.#remember(snapshot);
    // Told the link ended: nothing more will come of this sender, so let go of the broker too.
    if (snapshot.state === 'ended') this.#hangUp();
    if (snapshot.state === 'error' && snapshot.disconnected && this.#accepted) {
      // Mid-transfer the connection went: keep what is stored and dial again.
      if (this.phase !== 'reconnecting') this.#droppedAt = Date.now();
      this.#hangUp();
      this.#redial((t) => t.receive.dropped);
    }
  }

  async #begin(): Promise<void> {
    const session = this.#session;
    const snapshot = this.snapshot;
    if (!session || !snapshot || snapshot.state !== 'waiting') return;
    try {
      const short = await roomFor(snapshot.progress.total - snapshot.progress.bytes);
      if (short) {
        this.notice = (t) => t.receive.noRoom(formatBytes(short.needed, t), formatBytes(Math.max(0, short.free), t));
        return;
      }
      if (this.#record) await saveTransfer(this.#record);
    } catch (error) {
      this.notice = errorText(storageError(error));
      return;
    }
    session.download().catch(() => {
      // If the link dropped meanwhile, the session reports that itself.
    });
  }

  async #openStore(files: readonly FileDescription[]): Promise<StoredTransfer> {
    // The last session's final batch lands before this one deletes or reads what is stored.
    await this.#store?.flush().catch(() => {});
    // A transfer begun earlier keeps its files: the session holds the sender to them,
    // and asks the person (`changed`) before anything stored is let go.
    const current = this.#record ?? newTransfer(this.#id, this.address, [...files]);
    this.#keep(current);
    this.#store = await openStoredTransfer(current.id, current.files);
    return this.#store;
  }

  #keep(record: TransferRecord | null): void {
    this.#record = record;
    this.kept = record !== null;
  }

  /** Keeps the transfer list's summary roughly current (the exact ranges live with the bytes). */
  async #remember(snapshot: ReceiverSnapshot): Promise<void> {
    const record = this.#record;
    const now = Date.now();
    const final = snapshot.state === 'done' || snapshot.state === 'ended';
    if (!record || !this.#accepted || (now - this.#recordedAt < RECORD_INTERVAL_MS && !final)) return;
    // A dead link stays dead. A refusal is about this one request: asking again may be allowed.
    const dead = snapshot.ended !== null && snapshot.ended !== 'declined';
    if (dead) record.ended = { reason: snapshot.ended!, at: now };
    // A session that ended before the sender's list of files knows nothing of what is stored.
    const blind = snapshot.files.length === 0 && record.files.length > 0;
    if (blind && !dead) return;
    this.#recordedAt = now;
    if (!blind) {
      record.stored = snapshot.progress.bytes;
      record.done = snapshot.state === 'done';
    }
    try {
      // A session reports done only once its store has committed everything.
      await saveTransfer(record);
    } catch {
      // Only the list's summary is behind; a full disk is reported by the transfer itself.
    }
  }

  async #saving(work: () => Promise<void>): Promise<void> {
    this.notice = null;
    try {
      // Committed and closed, so the service worker (or a Blob) reads every byte.
      await this.#store?.release();
      await work();
      const record = this.#record;
      if (record && !record.saved && this.snapshot?.state === 'done' && this.#saved.size === record.files.length) {
        record.saved = true;
        await saveTransfer(record);
      }
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

/** This browser and system, as the sender's person will see them (labelled self-reported). */
function ownDevice(): string | null {
  // Client hints, where the browser has them, name the system even when the user agent is frozen.
  const hints = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return describeDevice(navigator.userAgent, { platform: hints?.platform });
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
