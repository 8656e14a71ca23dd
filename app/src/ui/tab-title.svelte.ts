/** The page's transfer activity, which App.svelte puts in the tab's title (tab-title.ts). */
import type { TabActivity } from './tab-title.ts';

class TabTitle {
  /** Set by the view that shows a transfer; null when none is shown. */
  activity = $state.raw<TabActivity>(null);
}

export const tab = new TabTitle();
