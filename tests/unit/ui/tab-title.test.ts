import { describe, expect, it } from 'vitest';
import { en } from '../../../app/src/ui/i18n/en.ts';
import { ru } from '../../../app/src/ui/i18n/ru.ts';
import { activityOf, sharingActivity, sharingHeadline, sharingHint, tabTitle } from '../../../app/src/ui/tab-title.ts';

const progress = (bytes: number, total: number) => ({ bytes, total, rate: 0, eta: null });

describe('the tab’s title', () => {
  it('follows the transfers that move, over all of them, and never says 100% before done', () => {
    expect(activityOf([{ state: 'transferring', progress: progress(36, 100) }])).toEqual({ percent: 36 });
    // A sender with two receivers: one half way, one just begun, one finished earlier.
    const rows = [
      { state: 'transferring', progress: progress(50, 100) },
      { state: 'reconnecting', progress: progress(10, 100) },
      { state: 'done', progress: progress(100, 100) },
    ];
    expect(activityOf(rows)).toEqual({ percent: 30 });
    // Every byte in, the last file's end or receipt still to come: not done yet.
    expect(activityOf([{ state: 'transferring', progress: progress(100, 100) }])).toEqual({ percent: 99 });
    expect(tabTitle({ percent: 36 }, en)).toBe('36% · Ferry');
  });

  it('says done once a transfer finished and none moves, and the app’s name otherwise', () => {
    expect(activityOf([{ state: 'done', progress: progress(5, 5) }, { state: 'waiting', progress: progress(0, 5) }])).toBe('done');
    expect(tabTitle('done', en)).toBe('Done · Ferry');
    expect(tabTitle('done', ru)).toBe('Готово · Ferry');
    expect(activityOf([{ state: 'waiting', progress: progress(0, 5) }, { state: 'error', progress: null }])).toBeNull();
    expect(activityOf([])).toBeNull();
    expect(tabTitle(null, en)).toBe(en.app.title);
  });

  it('says on the sending side how many receivers are sent to and how far, then how many got every file', () => {
    const rows = [
      { state: 'transferring', progress: progress(50, 100) },
      { state: 'transferring', progress: progress(22, 100) },
      { state: 'done', progress: progress(100, 100) },
      { state: 'approval', progress: progress(0, 100) },
    ];
    const sending = sharingActivity(rows, 1);
    expect(sending).toEqual({ sending: 2, percent: 36 });
    expect(sharingHeadline(sending, en)).toBe('Sending to 2 · 36%');
    expect(tabTitle(sending, en)).toBe('Sending to 2 · 36% · Ferry');
    const sent = sharingActivity([{ state: 'done', progress: progress(100, 100) }], 2);
    expect(sharingHeadline(sent, en)).toBe('Sent to 2 ✓');
    expect(tabTitle(sent, en)).toBe('Sent to 2 ✓ · Ferry');
    expect(tabTitle(sent, ru)).toBe('Отправлено 2 получателям ✓ · Ferry');
    // Nobody has had every file, and nobody downloads: ready, and the tab says only the app's name.
    const ready = sharingActivity([{ state: 'waiting', progress: progress(0, 100) }], 0);
    expect(sharingHeadline(ready, en)).toBe('Ready to send');
    expect(tabTitle(ready, en)).toBe(en.app.title);
  });

  it('asks the sender to keep the page open for the download, then only for whoever else has the link', () => {
    const sending = sharingActivity([{ state: 'transferring', progress: progress(10, 100) }], 0);
    expect(sharingHint(null, en)).toBe(en.send.keepOpen);
    expect(sharingHint(sending, en)).toBe(en.send.keepOpen);
    expect(sharingHint(sharingActivity([], 1), en)).toBe(en.send.keepOpenForOthers);
  });
});
