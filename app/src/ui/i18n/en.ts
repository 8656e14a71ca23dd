/**
 * Every string the UI shows, in English. Russian (ru.ts) must have the same shape:
 * `Messages` is this object's type with its literals widened to `string`, so adding
 * a key here makes ru.ts fail to type-check until it has the key too.
 *
 * Plain strings for fixed text; small functions where a number or a name goes in.
 * A function that returns one of several literals needs `: string` as its return
 * type, or Russian could not return anything else. To add a string: add it here
 * (in the group of the view that shows it), add it to ru.ts, and write
 * `{i18n.t.group.key}` in the component.
 */
import type { BadLinkReason } from '../../transfer/link.ts';
import type { EndReason } from '../../transfer/messages.ts';
import type { Expiry, ShareEnd } from '../../session/share-life.ts';
import { largestUnits } from '../../format/time-span.ts';

const count = (n: number) => n.toLocaleString('en');
const files = (n: number) => `${count(n)} ${n === 1 ? 'file' : 'files'}`;
/** "6 days 23 hours", "59 minutes"; empty under a minute. */
const duration = (minutes: number) =>
  largestUnits(minutes)
    .map(([n, unit]) => `${count(n)} ${unit}${n === 1 ? '' : 's'}`)
    .join(' ');

export const en = {
  /** BCP 47 tag for number formatting and `<html lang>`. */
  tag: 'en',
  app: {
    title: 'Ferry — send files by link',
    /** The tab's title while files move, and once they have. */
    titleProgress: (percent: number) => `${count(percent)}% · Ferry`,
    titleDone: 'Done · Ferry',
    tagline: 'Files go straight from browser to browser. Nothing is uploaded.',
    home: 'Ferry, home',
    language: 'Language',
    updateReady: 'A new version of Ferry is ready.',
    update: 'Update',
    limitedTitle: 'Ferry works here, with fewer features',
    limited: {
      insecure:
        'This page is not served over HTTPS, so the browser holds some features back: installing Ferry, opening it offline, sharing files to it from other apps, and saving large files straight from storage. Sending and receiving work.',
      unavailable:
        'This browser offers Ferry no background worker here (a private window, or a setting), so installing Ferry, opening it offline, sharing files to it from other apps and saving large files straight from storage are missing. Sending and receiving work.',
      refused:
        'The browser refused Ferry’s background worker, most often because it does not fully trust this site’s certificate (one accepted past a warning). Installing Ferry, opening it offline, sharing files to it from other apps and saving large files straight from storage are missing. Sending and receiving work.',
    },
    dropToShare: 'Drop to share',
    offlineTitle: 'You are offline',
    offline:
      'Ferry opened from this device, but sending and receiving need a network connection: the two browsers find each other through the Ferry server. What was received so far stays on this device.',
    serverAwayTitle: 'The Ferry server does not answer',
    serverAway:
      'This device has a network, but the server that introduces the two browsers does not answer: it may be restarting. Ferry keeps asking and carries on by itself once it answers. What was received so far stays on this device.',
  },
  common: {
    tryAgain: 'Try again',
    copyFailed: 'Could not copy',
  },
  badLink: {
    title: 'This link does not work',
    sendInstead: 'Send files instead',
    /** What is wrong with the link, and what to do about it. */
    reasons: {
      'no-sender-id': 'The link has no valid sender id. Ask the sender to copy it again.',
      incomplete: 'This link is incomplete — copy the whole link again.',
      'damaged-secret': 'The link’s secret part is damaged. Ask the sender to copy it again.',
      'damaged-key': 'The link’s last part, the sender’s key, is damaged. Ask the sender to copy it again.',
    } satisfies Record<BadLinkReason, string>,
  },
  send: {
    pickRegion: 'Choose files to send',
    title: 'Send files',
    dropHere: 'Drop files or a folder here, or',
    choose: 'Choose files',
    hint: 'You get a link and a QR code. The files go straight from this browser to whoever opens it.',
    noWebRtc:
      'This browser cannot send files: Ferry needs WebRTC, which it lacks or has turned off. Use Chrome, Firefox, Edge or Safari; if this is one of those, a setting or a privacy add-on may have disabled WebRTC.',
    nothingPicked: 'Nothing to send: the selection had no files.',
    sharedLost: 'The shared files did not reach Ferry. Open Ferry once more and choose them here.',
    sharedNoFiles: 'Only files can be shared to Ferry.',
    sharedReplace: (n: number) =>
      `Share ${n === 1 ? 'this file' : `these ${files(n)}`} instead of the current share? Its link will stop working.`,
    sharedStart: (n: number) => `Share ${n === 1 ? 'this file' : `these ${files(n)}`}?`,
    sharedFromSite: 'Another website sent them to Ferry.',
    sharedAccept: (n: number): string => (n === 1 ? 'Share this file' : 'Share these files'),
    sharedKeep: 'Keep the current share',
    sharedDecline: 'Don’t share',
    dropFailed: (reason: string) => `Could not read the dropped files: ${reason}`,
    stillOpenRegion: 'Carry on sending',
    stillOpen: 'Your share is still open',
    addAgainWhy: (n: number) =>
      `The link below still works. This browser cannot reopen files by itself, so add the same ${n === 1 ? 'file' : 'files'} again to carry on sending:`,
    addAgain: (n: number): string => (n === 1 ? 'Add the file again' : 'Add the files again'),
    notAllAdded:
      'Add all of them at once: the files listed were not among those picked, or have changed (name, size and date must match).',
    changed: (name: string) => `${name} is not the file that was shared: its content changed.`,
    linkIs: 'Link:',
    stopSharing: 'Stop sharing (the link stops working)',
    ready: 'Ready to send',
    gettingLink: 'Getting a link…',
    shareLink: 'Share link',
    qr: 'QR code of the share link',
    copy: 'Copy link',
    copied: 'Copied',
    share: 'Share…',
    shareTitle: 'Files for you',
    keepOpen: 'Keep this page open until the download finishes.',
    keepOpenForOthers: 'Everyone so far has the files. Keep this page open if anyone else with the link still needs them.',
    serverAway: 'The Ferry server is out of reach: nobody new can connect until it is back (Ferry keeps trying). Receivers already connected carry on.',
    sendOther: 'Send other files',
    receivers: 'Receivers',
    receiver: (n: number) => `Receiver ${count(n)}`,
    /** A receiver's own description of its device: anyone with the link can claim anything. */
    selfReported: (device: string) => `${device} (self-reported)`,
    gateOptions: 'Optional: who may download',
    password: 'Password',
    passwordHint: 'Receivers must type it before they see anything. It is not in the link: tell it to them another way.',
    askFirst: 'Ask me first: allow each receiver before it gets the files',
    passwordOn: 'Receivers must type the password you set.',
    allow: 'Allow',
    decline: 'Decline',
    allowNamed: (receiver: string) => `Allow ${receiver}`,
    declineNamed: (receiver: string) => `Decline ${receiver}`,
    failedAttempts: (n: number) =>
      n === 1
        ? 'Someone opened the link but could not connect: no network path between the two devices.'
        : `${count(n)} attempts to connect failed: no network path between the two devices.`,
    failedHint: (relay: boolean): string =>
      relay
        ? 'Not even the relay got through. Try with both devices on the same Wi-Fi.'
        : 'This Ferry server has no relay (TURN) for networks that block direct connections. Try with both devices on the same Wi-Fi.',
    expiry: 'Link expires',
    expiries: {
      never: 'Never',
      '1h': 'After 1 hour',
      '1d': 'After 1 day',
      '7d': 'After 7 days',
      'first-download': 'After the first download',
    } satisfies Record<Expiry, string>,
    /** Whole minutes left. */
    expiresIn: (minutes: number): string => `Expires in ${duration(minutes) || 'less than a minute'}`,
    endsAfterFirst: 'Ends after the first download',
    stop: 'Stop sharing',
    stopQuestion: 'Stop sharing now? Anyone downloading is cut off, and the link stops working for good.',
    stopConfirm: 'Stop sharing',
    stopCancel: 'Cancel',
    ended: {
      stopped: 'Sharing stopped',
      expired: 'This link has expired',
    } satisfies Record<ShareEnd['reason'], string>,
    endedHint: 'The link no longer works. While Ferry is open here, whoever opens it is told so.',
    finished: 'Your files were sent',
    sentTo: (n: number): string => (n === 1 ? 'Sent to 1 receiver' : `Sent to ${count(n)} receivers`),
    sendNew: 'Send new files',
    keepSharing: 'Keep sharing the same files',
    /** The sending page's heading (and, with tabTitle, the tab's title) while files move… */
    sending: (n: number, percent: number) => `Sending to ${count(n)} · ${count(percent)}%`,
    /** …and once some receivers have every file and none is downloading. */
    sentToDone: (n: number) => `Sent to ${count(n)} ✓`,
    tabTitle: (heading: string) => `${heading} · Ferry`,
    noReceiversYet: 'Nobody has opened the link yet. Receivers show up here as they arrive.',
    /** What one receiver is doing, on its row (session/receiver-doing.ts). */
    doing: {
      connecting: 'Connecting…',
      password: 'Entering the password',
      wrongPassword: (wrong: number) => (wrong === 1 ? '1 wrong password' : `${count(wrong)} wrong passwords`),
      lockedOut: (wrong: number, minutes: number) =>
        `${count(wrong)} wrong passwords, locked for ${minutes === 1 ? '1 minute' : `${count(minutes)} minutes`}`,
      asking: 'Waiting for you to allow',
      held: 'Typed a password while someone is guessing it: allow to check it',
      looking: 'Looking at the files',
      downloading: 'Downloading',
      done: 'Done',
      declined: 'Declined',
      turnedAway: 'Turned away: too many receivers at once',
      timedOut: 'Waited too long, let go',
      toldEnded: {
        stopped: 'Told that sharing stopped',
        expired: 'Told that the link expired',
      } satisfies Record<ShareEnd['reason'], string>,
      left: 'Left',
      failed: 'Failed',
    },
    sendOtherQuestion: 'Send other files instead? This link stops working, and anyone downloading is cut off.',
    sendOtherConfirm: 'Stop sharing and choose files',
    addPassword: 'Add a password',
    addPasswordHint: 'From now on, receivers must type it. Those already let in are not asked.',
    setPassword: 'Ask for this password',
  },
  path: {
    local: 'Direct connection, same network',
    direct: 'Direct connection',
    relay: (host: string): string =>
      host ? `Relayed through ${host} — slower, still end-to-end encrypted` : 'Relayed — slower, still end-to-end encrypted',
  },
  receive: {
    title: 'Receive files',
    discarded: 'Stopped. Nothing of this transfer is kept on this device.',
    senderOffline: 'Sender offline',
    resumedAt: (percent: number) => `Resumed at ${count(percent)}%`,
    save: 'Save',
    /** Beside a file handed to the browser's download or save dialog. */
    saved: 'Saved',
    /** The system's share sheet, where phones offer Save to Photos and Save to Files. */
    shareAll: 'Save to Photos or Files',
    share: 'Share',
    shareNamed: (name: string) => `Share ${name}: Save to Photos, Files or another app`,
    tooLargeToShare: (limit: string) => `Over ${limit} is too much for the share sheet: saved as downloads instead.`,
    verifiedFile: 'Arrived whole: every part matches the sender’s fingerprint',
    saveNamed: (name: string) => `Save ${name}`,
    damaged: 'damaged, fetching again',
    /** The one thing to do when the files are offered: what, and how much. */
    download: (n: number, size: string) => `Download ${files(n)} · ${size}`,
    /** The status while the files wait for Download: ready, not waiting on someone else. */
    ready: 'Ready to download',
    /** Who sends, in the sender's own words: anyone with the link could claim anything. */
    from: (device: string) => `From ${device} (self-reported)`,
    saveAll: 'Save all, one by one',
    saveZip: 'Save all as one ZIP',
    saveLimit: (limit: string) =>
      `This browser can save files of up to ${limit} only, because it would hold each one in memory. To save larger files, open Ferry over HTTPS, where it saves them straight from storage.`,
    tooLargeToSave: (name: string) => `${name} is too large to save in this browser.`,
    zipNeedsWorker: 'This browser cannot build a ZIP without holding it in memory: save the files one by one.',
    allVerified: 'Every file matched the sender’s SHA-256 checksum.',
    discard: 'Stop and delete what was received',
    noConnection: 'No connection',
    senderSilent: 'The sender is not answering',
    serverTrouble: 'Cannot reach the Ferry server',
    noWebRtc: 'This browser cannot make direct connections',
    cannotConnect: (reason: string) => `Could not connect to the sender: ${reason}`,
    /** Under "Cannot reach the Ferry server", "Sender offline", "The sender is not answering": what to do, not the same again. */
    checkNetwork: 'Check this device’s network connection.',
    senderOfflineAdvice: 'Their Ferry page is closed: ask them to open it again.',
    awaitingSender: 'This page keeps trying, and carries on by itself once they are back.',
    senderSilentAdvice: 'If their Ferry page is open on a phone, ask them to bring it to the front.',
    /** While the whole page is offline: the offline notice says why, this says what the view does. */
    waitingForNetwork: 'Waiting for the network',
    dropped: 'The sender went away or the connection dropped; waiting for it to come back.',
    deleteFailed: (reason: string) => `Could not delete what was received: ${reason}`,
    saveFailed: (reason: string) => `Could not save: ${reason}`,
    notAllSaved: (names: string, reason: string) => `Saved every file but ${names}. ${reason}`,
    passwordLabel: 'The sender set a password. Type it to see the files:',
    passwordSubmit: 'Open',
    wrongPassword: (n: number) => `Wrong password. ${n === 1 ? '1 try' : `${count(n)} tries`} left.`,
    /** `left` counts down: "0:42". */
    lockedOut: (left: string) => `Too many wrong passwords. Try again in ${left}.`,
    approvalTitle: 'Waiting for approval',
    approvalWaiting: 'The sender decides whether you may download these files. They appear here once allowed.',
    endedTitle: {
      declined: 'The sender declined this download',
      stopped: 'The sender stopped sharing',
      expired: 'This link has expired',
      busy: 'The sender is serving as many receivers as it can',
      'timed-out': 'The sender stopped waiting for you',
    } satisfies Record<EndReason, string>,
    /** Said under a refusal that is about this request only ('busy', 'timed-out'). */
    endedForNow: 'The link still works: try again to carry on.',
    /** What a person can do once a transfer cannot go on. */
    askNewLink: 'Ask the sender for a new link.',
    openHome: 'Go to Ferry’s home page',
    keptHere: 'What was received stays on this device: save the files that arrived whole.',
    noRoom: (needed: string, free: string) =>
      `Not enough room on this device: the transfer needs ${needed} but only ${free} is free for this site. Free some space and try again.`,
    filesChanged: 'The sender’s files changed since you started',
    /** The status while the person decides what to do about changed files. */
    filesChangedTitle: 'Your choice is needed',
    filesChangedWhich: (names: string) =>
      `Changed: ${names}. Start over to delete what was received and download the files as they are now, or cancel to keep what was received.`,
    startOver: 'Start over',
    keepOld: 'Cancel',
  },
  status: {
    connecting: 'Connecting…',
    password: 'Password needed',
    approval: 'Waiting for approval',
    waiting: 'Waiting to start',
    transferring: 'Transferring',
    reconnecting: 'Reconnecting…',
    done: 'Done',
    error: 'Failed',
    ended: 'Ended',
    of: (done: string, total: string) => `${done} of ${total}`,
    left: (eta: string) => `${eta} left`,
    stalled: 'Nothing has arrived for a few seconds',
    progress: 'Progress',
    progressOf: (label: string) => `${label}: progress`,
  },
  /** The name this device goes by on the other side. */
  device: {
    /** A browser (with its version) and the system it runs on, as a device describes itself. */
    described: (browser: string, system: string) => `${browser} on ${system}`,
    summary: (name: string) => `This device: ${name}`,
    unnamed: 'no name',
    label: 'Name shown to the other side',
    save: 'Save',
    hint: 'Receivers and senders see it labelled as self-reported. Leave it empty for the browser’s own description.',
  },
  files: {
    summary: (n: number, size: string) => `${files(n)}, ${size} in all`,
    more: (n: number) => `…and ${count(n)} more`,
    /** A button that plays a received video or song in the page. */
    play: (name: string) => `Play ${name}`,
    /** The title of a file's short fingerprint: what it is, and the whole of it. */
    fingerprint: (root: string) => `Fingerprint: every part of the file is checked against it. In full: ${root} (npx ferry hash FILE prints the same)`,
  },
  stored: {
    title: 'Sent and received on this device',
    nameAndMore: (first: string, more: number) => `${first} and ${count(more)} more`,
    linkEnded: 'the link no longer works',
    partly: (percent: number, total: string) => `Partly received: ${count(percent)}% of ${total}`,
    received: 'Received',
    receivedSaved: 'Received and saved',
    from: (device: string) => `from ${device} (self-reported)`,
    /** How a sent share ended up: `anyone` got every file; `end` is how its link ended (null: it still works). */
    sent: (end: ShareEnd['reason'] | null, anyone: boolean): string => {
      if (end === 'stopped') return anyone ? 'Sent, then sharing stopped' : 'Sharing stopped';
      if (end === 'expired') return anyone ? 'Sent, then the link expired' : 'Link expired';
      return anyone ? 'Sent' : 'Shared';
    },
    to: (device: string) => `to ${device} (self-reported)`,
    toReceivers: (n: number) => `to ${count(n)} ${n === 1 ? 'receiver' : 'receivers'}`,
    toNobody: 'nobody downloaded it',
    open: 'Open',
    resume: 'Resume',
    delete: 'Delete',
    deleteNamed: (name: string) => `Delete ${name}`,
    deleteFailed: (reason: string) => `Could not delete it: ${reason}`,
  },
  /** A text shared beside the files, or alone. */
  text: {
    label: 'Text (optional)',
    hint: 'A note, a link, a Wi-Fi password: it goes with the files you choose, or on its own.',
    share: 'Share text',
    fromSender: 'Text from the sender',
    yours: 'Text you are sharing',
    copy: 'Copy text',
    copied: 'Copied',
    /** The history's title for a share of a text alone. */
    only: 'Text',
    tooLong: (kib: number) => `The text is too long: a share carries at most ${count(kib)} KB of text.`,
    receivedTitle: 'Text received',
    receivedBody: 'Open Ferry to read it.',
  },
  notify: {
    receivedTitle: 'Files received',
    receivedBody: (n: number) => `${files(n)} arrived and matched the sender’s checksums.`,
    sentTitle: 'Files sent',
    sentBody: (receiver: string) => `${receiver} has every file.`,
    askTitle: 'Someone is asking for your files',
    askBody: (receiver: string) => `${receiver} is waiting for you to allow it.`,
  },
  errors: {
    serverUnreachable: 'Cannot reach the Ferry server. Check your network connection.',
    serverAnswered: (status: string) => `The Ferry server answered ${status}.`,
    senderNotOnline: 'The sender is not online. Their Ferry page may have been closed.',
    senderSilent:
      'The sender’s page did not answer. If it is open on a phone, ask them to bring Ferry to the front, then try again.',
    noPath: {
      none: 'No network path between the two devices: their networks block direct connections, and this Ferry server has no relay (TURN) to pass the data through. Put both devices on the same Wi-Fi, or ask whoever runs this Ferry to set up a relay.',
      refused:
        'No network path between the two devices, and this Ferry server’s relay (TURN) refused the connection: its settings are wrong. Put both devices on the same Wi-Fi, or tell whoever runs this Ferry.',
      unreachable:
        'No network path between the two devices, and this Ferry server’s relay (TURN) could not be reached. Put both devices on the same Wi-Fi, or try another network.',
      tried:
        'No network path between the two devices, not even through the relay. Put both devices on the same Wi-Fi, or try another network.',
    },
    lostServer: 'Lost contact with the Ferry server. Check your network connection.',
    noWebRtcAdvice:
      'Ferry needs WebRTC, which this browser lacks or has turned off. Open the link in Chrome, Firefox, Edge or Safari; if it is one of those, a setting or a privacy add-on may have disabled WebRTC.',
    idTaken: 'This share’s id is already in use on the server.',
    serverBusy: 'Ferry is busy, try again in a minute.',
    misrouted:
      'The Ferry server sent this connection to the wrong place: its load balancer is set up wrong. Tell whoever runs this Ferry.',
    connectionFailed: (type: string) => `Connection failed (${type}).`,
    storageFull: 'This device has no room left for the transfer. What was received is kept; free some space and try again.',
    senderClosed: 'The sender closed the connection.',
    senderWentAway: 'The sender went away before the transfer finished (the page was closed or the connection dropped).',
    senderNoFiles: 'The sender’s page answered but sent no list of files.',
    filesChanged: 'The sender’s files changed since you started.',
    impostor:
      'Someone other than the sender answered this link, so nothing was taken from them. The sender’s page may be closed while someone else who has the link poses as it. Ask the sender to open Ferry again.',
    senderStopped: (words: string): string =>
      words ? `The sender stopped the transfer. Its message: “${words}”` : 'The sender stopped the transfer.',
    receiverStopped: (words: string): string =>
      words ? `The receiver stopped the transfer. Its message: “${words}”` : 'The receiver stopped the transfer.',
    tamperedSize: (bytes: string) =>
      `The connection was set up for messages of only ${bytes} bytes, which no browser does: the Ferry server or the network may have tampered with it. Nothing was sent.`,
    notProven: 'The other side could not prove it holds this link. Check that the whole link was copied.',
    otherVersion: 'The other side runs another version of Ferry. Reload both pages, then try again.',
    damaged: (file: string) => `A part of ${file} arrived damaged twice: it does not match the sender’s fingerprint. The parts that matched are kept; try again.`,
    protocol: (detail: string) => `The other side broke Ferry’s protocol (${detail}).`,
  },
  units: {
    bytes: ['B', 'kB', 'MB', 'GB', 'TB'],
    perSecond: (size: string) => `${size}/s`,
    none: '—',
    underASecond: 'less than a second',
    seconds: (s: number) => `${s} s`,
    minutes: (m: number, s: number) => `${m} min ${s} s`,
    hours: (h: number, m: number) => `${h} h ${m} min`,
  },
};

export type Messages = typeof en;

/** A message put into words only when shown, so it follows a change of language. */
export type Phrase = (t: Messages) => string;
