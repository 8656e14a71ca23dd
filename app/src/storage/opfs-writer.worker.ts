/**
 * Writes received chunks to the Origin Private File System. Sync access handles are
 * the fast, in-place way to write OPFS files, and they exist only in workers; doing
 * the writes here also keeps them off the page's main thread. Requests are handled
 * one at a time, in order.
 */
import { OPFS_FOLDER } from './layout.ts';

/** The worker's global scope, typed here so the app's DOM types can check this file. */
const scope = self as unknown as {
  postMessage(message: WriterReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WriterRequest>) => void): void;
};

interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}

export type WriterRequest =
  | { seq: number; op: 'probe' }
  | { seq: number; op: 'write'; id: string; chunks: { file: number; offset: number; bytes: Uint8Array }[] }
  | { seq: number; op: 'close'; id: string; file?: number }
  | { seq: number; op: 'delete'; id: string; file?: number };

export interface WriterReply {
  seq: number;
  error?: { name: string; message: string };
}

/** Open handles, least recently used first. A transfer of 10,000 small files must not hold 10,000 open. */
const handles = new Map<string, SyncAccessHandle>();
const OPEN_HANDLES = 16;
const key = (id: string, file: number) => `${id}/${file}`;

/** Each transfer's folder, looked up once: a transfer of many small files opens many files in it. */
const folders = new Map<string, Promise<FileSystemDirectoryHandle>>();

function folder(id: string): Promise<FileSystemDirectoryHandle> {
  let found = folders.get(id);
  if (!found) {
    found = navigator.storage
      .getDirectory()
      .then((root) => root.getDirectoryHandle(OPFS_FOLDER, { create: true }))
      .then((received) => received.getDirectoryHandle(id, { create: true }));
    folders.set(id, found);
    found.catch(() => folders.delete(id));
  }
  return found;
}

async function open(id: string, file: number): Promise<SyncAccessHandle> {
  const name = key(id, file);
  let handle = handles.get(name);
  if (handle) {
    handles.delete(name); // re-inserted below as the most recently used
  } else {
    const fileHandle = await (await folder(id)).getFileHandle(String(file), { create: true });
    handle = await (fileHandle as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle();
    for (const [oldest, stale] of handles) {
      if (handles.size < OPEN_HANDLES) break;
      stale.flush();
      stale.close();
      handles.delete(oldest);
    }
  }
  handles.set(name, handle);
  return handle;
}

function close(id: string, file?: number): void {
  for (const [name, handle] of handles) {
    if (file === undefined ? name.startsWith(`${id}/`) : name === key(id, file)) {
      handle.close();
      handles.delete(name);
    }
  }
}

async function handle(request: WriterRequest): Promise<void> {
  switch (request.op) {
    case 'probe': {
      await open('probe', 0);
      close('probe');
      await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_FOLDER).then((dir) => dir.removeEntry('probe', { recursive: true }));
      return;
    }
    case 'write': {
      const touched = new Set<SyncAccessHandle>();
      for (const { file, offset, bytes } of request.chunks) {
        const target = await open(request.id, file);
        target.write(bytes, { at: offset });
        touched.add(target);
      }
      // Durable before the ranges are recorded as stored. (Handles evicted meanwhile
      // were flushed as they closed.)
      const stillOpen = new Set(handles.values());
      for (const target of touched) if (stillOpen.has(target)) target.flush();
      return;
    }
    case 'close':
      return close(request.id, request.file);
    case 'delete': {
      close(request.id, request.file);
      if (request.file === undefined) folders.delete(request.id);
      const root = await navigator.storage.getDirectory();
      const received = await root.getDirectoryHandle(OPFS_FOLDER, { create: true });
      try {
        if (request.file === undefined) await received.removeEntry(request.id, { recursive: true });
        else await (await received.getDirectoryHandle(request.id)).removeEntry(String(request.file));
      } catch (error) {
        if ((error as Error).name !== 'NotFoundError') throw error;
      }
      return;
    }
  }
}

let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    const reply: WriterReply = { seq: request.seq };
    try {
      await handle(request);
    } catch (error) {
      const { name, message } = error as Error;
      reply.error = { name, message };
    }
    scope.postMessage(reply);
  });
});
