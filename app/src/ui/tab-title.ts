/**
 * What the tab's title says while files move, so a person in another tab (or an app
 * switcher) can follow the transfer: "36% · Ferry", then "Done · Ferry". Pure, so the
 * wording is unit-tested; tab-title.svelte.ts holds the page's current activity.
 */
import type { Progress } from '../transfer/progress.ts';
import type { Messages } from './i18n/en.ts';

/** A transfer under way (how far, over every transfer that moves), one that finished, or nothing to say. */
export type TabActivity = { percent: number } | 'done' | null;

/** States in which bytes move, or are about to move again. */
const MOVING = new Set(['transferring', 'verifying', 'reconnecting']);

/** The activity of one side's transfers: the receiver's one, or a sender's to each receiver. */
export function activityOf(transfers: readonly { state: string; progress: Progress | null }[]): TabActivity {
  const moving = transfers.filter((transfer) => MOVING.has(transfer.state) && transfer.progress);
  if (moving.length > 0) {
    const bytes = moving.reduce((sum, transfer) => sum + transfer.progress!.bytes, 0);
    const total = moving.reduce((sum, transfer) => sum + transfer.progress!.total, 0);
    // Floored: 100% only once it is done.
    return { percent: total > 0 ? Math.min(99, Math.floor((bytes / total) * 100)) : 0 };
  }
  return transfers.some((transfer) => transfer.state === 'done') ? 'done' : null;
}

export function tabTitle(activity: TabActivity, t: Messages): string {
  if (activity === null) return t.app.title;
  return activity === 'done' ? t.app.titleDone : t.app.titleProgress(activity.percent);
}
