/**
 * What the tab's title says while files move, so a person in another tab (or an app
 * switcher) can follow the transfer: "36% · Ferry", then "Done · Ferry" on the
 * receiving side; "Sending to 2 · 36% · Ferry", then "Sent to 2 ✓ · Ferry" on the
 * sending side, whose page heading says the same. Pure, so the wording is
 * unit-tested; tab-title.svelte.ts holds the page's current activity.
 */
import type { Progress } from '../transfer/progress.ts';
import type { Messages } from './i18n/en.ts';

/** What a share is doing: sending to some receivers (how far, over them), or done with some and sending to none. */
export type SharingActivity = { sending: number; percent: number } | { sentTo: number };

/**
 * A transfer under way (how far, over every transfer that moves), one that finished,
 * a share's activity, or nothing to say.
 */
export type TabActivity = { percent: number } | 'done' | SharingActivity | null;

interface Transfer {
  state: string;
  progress: Progress | null;
}

/** States in which bytes move, or are about to move again. */
const MOVING = new Set(['transferring', 'reconnecting']);

const moving = (transfers: readonly Transfer[]) => transfers.filter((transfer) => MOVING.has(transfer.state) && transfer.progress);

/** How far the transfers that move are, over all of them; floored: 100% only once they are done. */
function percentOf(transfers: readonly Transfer[]): number {
  const bytes = transfers.reduce((sum, transfer) => sum + transfer.progress!.bytes, 0);
  const total = transfers.reduce((sum, transfer) => sum + transfer.progress!.total, 0);
  return total > 0 ? Math.min(99, Math.floor((bytes / total) * 100)) : 0;
}

/** The activity of one side's transfers: the receiver's one, or a sender's to each receiver. */
export function activityOf(transfers: readonly Transfer[]): TabActivity {
  const under = moving(transfers);
  if (under.length > 0) return { percent: percentOf(under) };
  return transfers.some((transfer) => transfer.state === 'done') ? 'done' : null;
}

/** A share's activity: its receivers now, and how many got every file over its life (reloads included). */
export function sharingActivity(receivers: readonly Transfer[], sentTo: number): SharingActivity | null {
  const under = moving(receivers);
  if (under.length > 0) return { sending: under.length, percent: percentOf(under) };
  return sentTo > 0 ? { sentTo } : null;
}

/**
 * The line under the share link: while nobody has every file, the page must stay open
 * for the download to finish; once someone has, it stays open only for whoever else
 * holds the link.
 */
export function sharingHint(activity: SharingActivity | null, t: Messages): string {
  return activity !== null && 'sentTo' in activity ? t.send.keepOpenForOthers : t.send.keepOpen;
}

/** The sending page's heading: ready, sending, or sent. */
export function sharingHeadline(activity: SharingActivity | null, t: Messages): string {
  if (activity === null) return t.send.ready;
  return 'sending' in activity ? t.send.sending(activity.sending, activity.percent) : t.send.sentToDone(activity.sentTo);
}

export function tabTitle(activity: TabActivity, t: Messages): string {
  if (activity === null) return t.app.title;
  if (activity === 'done') return t.app.titleDone;
  if ('sending' in activity || 'sentTo' in activity) return t.send.tabTitle(sharingHeadline(activity, t));
  return t.app.titleProgress(activity.percent);
}
