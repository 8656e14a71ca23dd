/**
 * A save that may be asked for faster than the disk takes it. While one write runs,
 * every later ask shares a single next write, which saves the state as it is when that
 * write starts. A share of 10,000 files learns 10,000 hashes in seconds; writing its
 * whole record once per hash would be quadratic.
 */
export function coalesced(save: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const ask = (): Promise<void> => {
    if (!running) {
      running = save().finally(() => (running = null));
      return running;
    }
    // Whatever became of the running write, this ask's state is not in it: write again.
    next ??= running.catch(() => {}).then(() => {
      next = null;
      return ask();
    });
    return next;
  };
  return ask;
}
