/**
 * Writes received chunks to the Origin Private File System. Sync access handles are
 * the fast, in-place way to write OPFS files, and they exist only in workers; doing
 * the writes here also keeps them off the page's main thread. Requests are handled
 * one at a time, in order.
 */

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
  | { seq: number; op: 'close'; id: string; file: number }
  | { seq: number; op: 'remove'; id: string; file?: number };

export interface WriterReply {
  seq: number;
  error?: { name: string; message: string };
}

const handles = new Map<string, SyncAccessHandle>();
const key = (id: string, file: number) => `${id}/${file}`;

async function folder(id: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const received = await root.getDirectoryHandle('received', { create: true });
  return received.getDirectoryHandle(id, { create: true });
}

async function open(id: string, file: number): Promise<SyncAccessHandle> {
  let handle = handles.get(key(id, file));
  if (!handle) {
    const fileHandle = await (await folder(id)).getFileHandle(String(file), { create: true });
    handle = await (fileHandle as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }).createSyncAccessHandle();
    handles.set(key(id, file), handle);
  }
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
      await (await navigator.storage.getDirectory()).getDirectoryHandle('received').then((dir) => dir.removeEntry('probe', { recursive: true }));
      return;
    }
    case 'write': {
      const touched = new Set<SyncAccessHandle>();
      for (const { file, offset, bytes } of request.chunks) {
        const target = await open(request.id, file);
        target.write(bytes, { at: offset });
        touched.add(target);
      }
      // Durable before the ranges are recorded as stored.
      for (const target of touched) target.flush();
      return;
    }
    case 'close':
      return close(request.id, request.file);
    case 'remove': {
      close(request.id, request.file);
      const root = await navigator.storage.getDirectory();
      const received = await root.getDirectoryHandle('received', { create: true });
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
