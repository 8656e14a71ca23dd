/**
 * What a resumed transfer holds its sender to: the files it began with (name, size,
 * date, how many) and every root (block-tree.ts) the sender announced. Bytes kept from one set of
 * files and completed from another would make a file that is neither, so a sender
 * that now offers something else is not followed silently: the session stops, and
 * the person receiving decides whether to start over. The same holds for the text a
 * share carries beside (or instead of) its files.
 */
import type { Failure } from './failure.ts';
import type { FileDescription } from './messages.ts';
import type { Pin, ReceiveStore } from './store.ts';

/** The part of a store that knows what was pinned. */
export type Pinned = Pick<ReceiveStore, 'files' | 'pinned'>;

/** Names of the files `offered` differs in from what is pinned, in order; none when it is the same. */
export function changedFiles(pinned: Pinned, offered: readonly FileDescription[]): string[] {
  const changed: string[] = [];
  for (let file = 0; file < Math.max(pinned.files.length, offered.length); file++) {
    const was = pinned.files[file];
    const now = offered[file];
    if (!was || !now) changed.push((was ?? now)!.name);
    else if (was.name !== now.name || was.size !== now.size || was.lastModified !== now.lastModified) changed.push(was.name);
    else if (now.root !== undefined && (pinned.pinned(file) ?? now.root) !== now.root) changed.push(was.name);
  }
  return changed;
}

/**
 * Whether the sender's text differs from the one this transfer began with (null:
 * none). A text is held like a file: a sender that now says something else is not
 * believed silently, whatever else it offers.
 */
export function textChanged(pinned: string | null | undefined, offered: string | null): boolean {
  // Undefined: a new transfer, which takes whatever text the sender offers.
  return pinned !== undefined && pinned !== offered;
}

/** How a changed text is named among the changed files: its first line, quoted, cut short. */
export function textLabel(text: string): string {
  const line = text.trim().split('\n', 1)[0]!.trim();
  return `“${line.length > 40 ? `${line.slice(0, 39)}…` : line}”`;
}

/** The roots `offered` announces that are not pinned yet. */
export function newPins(pinned: Pinned, offered: readonly FileDescription[]): Pin[] {
  return offered.flatMap(({ root }, file) => (root !== undefined && pinned.pinned(file) === null ? [{ file, root }] : []));
}

/**
 * The sender offers other files than this transfer began with, or another root for
 * one of them. Nothing of the new files was stored; what was stored stays. `files`
 * names the files that changed. (The message is what the sender is told.)
 */
export class ManifestChangedError extends Error {
  override name = 'ManifestChangedError';

  constructor(readonly files: readonly string[]) {
    super(`the files changed since this download began (${files.length === 1 ? files[0] : `${files.length} files`})`);
  }

  get failure(): Failure {
    return { code: 'files-changed', files: this.files };
  }
}
