/**
 * Files shared to Ferry from another app ("Share → Ferry" on Android). The service
 * worker took the POST and redirected here with ?shared; this side says it is ready
 * and receives the files, which are then shared like picked ones: a link at once —
 * unless they might not come from the person (share-from.ts), when it asks first.
 */
import { sharedFilesStep, type ShareFrom } from '../share-from.ts';
import { SHARED_FILES_QUERY, type WorkerMessage } from '../sw-messages.ts';
import { appUpdate } from './app-update.svelte.ts';
import type { Phrase } from './i18n/en.ts';

/** Shared files waiting for the person to say whether to share them. */
export interface SharedFilesQuestion {
  files: File[];
  /** Sharing them ends the share that is open (here or in another tab). */
  replaces: boolean;
  /** Another website posted them. */
  fromSite: boolean;
}

class IncomingShare {
  /** Why shared files did not arrive, for the Send view to show. */
  problem = $state.raw<Phrase | null>(null);
  question = $state.raw<SharedFilesQuestion | null>(null);
  #onfiles: (files: File[]) => void = () => {};

  /**
   * If this page was opened by a share, waits for its files and hands them to
   * `onfiles`, or asks first. `sharing` says whether a share is open or saved.
   */
  take(onfiles: (files: File[]) => void, sharing: () => Promise<boolean>): void {
    const params = new URLSearchParams(location.search);
    if (!params.has(SHARED_FILES_QUERY)) return;
    // A reload must not ask the service worker for the same files again.
    history.replaceState(history.state, '', `/${location.hash}`);
    const worker = navigator.serviceWorker;
    if (params.get(SHARED_FILES_QUERY) === 'unavailable' || !worker?.controller) {
      this.problem = (t) => t.send.sharedLost;
      return;
    }
    this.#onfiles = onfiles;
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage | null>) => {
      if (event.data?.type !== 'shared-files') return;
      if (event.data.files.length === 0) this.problem = (t) => t.send.sharedNoFiles;
      // No `from` from a worker older than this page: trusted no more than a system share.
      else void this.#arrived(event.data.files, event.data.from ?? 'unknown', sharing);
    });
    worker.startMessages();
    appUpdate.post({ type: 'share-ready' });
  }

  /** The person's answer to `question`. */
  answer(share: boolean): void {
    const question = this.question;
    this.question = null;
    if (share && question) this.#onfiles(question.files);
  }

  async #arrived(files: File[], from: ShareFrom, sharing: () => Promise<boolean>): Promise<void> {
    const replaces = await sharing();
    if (sharedFilesStep(from, replaces) === 'start') this.#onfiles(files);
    else this.question = { files, replaces, fromSite: from === 'other-site' };
  }
}

export const incomingShare = new IncomingShare();
