/**
 * Files shared to Ferry from another app ("Share → Ferry" on Android). The service
 * worker took the POST and redirected here with ?shared; this side says it is ready
 * and receives the files, which are then shared like picked ones: a link at once.
 */
import { SHARED_FILES_QUERY, type WorkerMessage } from '../sw-messages.ts';
import { appUpdate } from './app-update.svelte.ts';
import type { Phrase } from './i18n/en.ts';

class IncomingShare {
  /** Why shared files did not arrive, for the Send view to show. */
  problem = $state.raw<Phrase | null>(null);

  /** If this page was opened by a share, waits for its files and hands them to `onfiles`. */
  take(onfiles: (files: File[]) => void): void {
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
      else onfiles(event.data.files);
    });
    worker.startMessages();
    appUpdate.post({ type: 'share-ready' });
  }
}

export const incomingShare = new IncomingShare();
