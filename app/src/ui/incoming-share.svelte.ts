/**
 * Files shared to Ferry from another app ("Share → Ferry" on Android). The service
 * worker took the POST and redirected here with ?shared; this side says it is ready
 * and receives the files, which are then shared like picked ones: a link at once —
 * unless they might not come from the person (common/share-from.ts), when it asks first.
 * Files dropped on the page come this way too, and are asked about only when sharing
 * them would end the share that is open.
 */
import { sharedFilesStep, type ShareFrom } from '../common/share-from.ts';
import { SHARED_FILES_QUERY, type WorkerMessage } from '../common/sw-messages.ts';
import { appUpdate } from './app-update.svelte.ts';
import type { Phrase } from './i18n/en.ts';
import { fileSource } from './picked-files.ts';
import type { FileSource } from '../transfer/file-source.ts';

/** Shared or dropped files waiting for the person to say whether to share them. */
export interface SharedFilesQuestion {
  files: FileSource[];
  /** Sharing them ends the share that is open (here or in another tab). */
  replaces: boolean;
  /** Another website posted them. */
  fromSite: boolean;
}

class IncomingShare {
  /** Why shared files did not arrive, for the Send view to show. */
  problem = $state.raw<Phrase | null>(null);
  question = $state.raw<SharedFilesQuestion | null>(null);
  #onfiles: (files: FileSource[]) => void = () => {};
  #sharing: () => Promise<boolean> = () => Promise.resolve(false);

  /**
   * Files that arrive are handed to `onfiles` to share, or asked about first;
   * `sharing` says whether a share is open or saved. If this page was opened by a
   * share, waits for its files.
   */
  take(onfiles: (files: FileSource[]) => void, sharing: () => Promise<boolean>): void {
    this.#onfiles = onfiles;
    this.#sharing = sharing;
    const params = new URLSearchParams(location.search);
    if (!params.has(SHARED_FILES_QUERY)) return;
    // A reload must not ask the service worker for the same files again.
    history.replaceState(history.state, '', `/${location.hash}`);
    const worker = navigator.serviceWorker;
    if (params.get(SHARED_FILES_QUERY) === 'unavailable' || !worker?.controller) {
      this.problem = (t) => t.send.sharedLost;
      return;
    }
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage | null>) => {
      if (event.data?.type !== 'shared-files') return;
      if (event.data.files.length === 0) this.problem = (t) => t.send.sharedNoFiles;
      // No `from` from a worker older than this page: trusted no more than a system share.
      else void this.#arrived(event.data.files, event.data.from ?? 'unknown');
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

  /** Files the person dropped on the page: shared at once, unless that would end the open share — then asked first. */
  dropped(files: FileSource[]): Promise<void> {
    return this.#arrived(files, 'person');
  }

  async #arrived(files: File[] | FileSource[], from: ShareFrom | 'person'): Promise<void> {
    const sources = files.map((file) => (file instanceof File ? fileSource(file) : file));
    const replaces = await this.#sharing();
    const start = from === 'person' ? !replaces : sharedFilesStep(from, replaces) === 'start';
    if (start) this.#onfiles(sources);
    else this.question = { files: sources, replaces, fromSite: from === 'other-site' };
  }
}

export const incomingShare = new IncomingShare();
