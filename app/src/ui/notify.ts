/**
 * A system notification when a transfer finishes while Ferry is in the background,
 * so the person need not keep checking. Permission is asked only when they press a
 * button that starts or hands off a transfer, and only once (while it is 'default').
 */

/** Whether to notify: only while the page is hidden, and only with permission. */
export function shouldNotify(hidden: boolean, permission: string | undefined): boolean {
  return hidden && permission === 'granted';
}

function permission(): NotificationPermission | undefined {
  // iOS Safari has no Notification outside home-screen apps.
  return typeof Notification === 'undefined' ? undefined : Notification.permission;
}

/** Call from a click or key press: browsers ignore (or punish) prompts without one. */
export function askToNotify(): void {
  if (permission() !== 'default') return;
  try {
    void Notification.requestPermission().catch(() => {});
  } catch {
    // Older Safari takes a callback and returns nothing; nothing to do either way.
  }
}

/** Shows `title` if the page is hidden and notifications are allowed; never throws. */
export async function notifyIfHidden(title: string, body: string): Promise<void> {
  if (!shouldNotify(document.hidden, permission())) return;
  const options: NotificationOptions = { body, tag: 'ferry-transfer', lang: document.documentElement.lang };
  try {
    // Android Chrome allows notifications only through a service worker.
    const registration = await navigator.serviceWorker?.getRegistration();
    if (registration) {
      await registration.showNotification(title, options);
      return;
    }
  } catch {
    // Fall back to a page notification below.
  }
  try {
    new Notification(title, options);
  } catch {
    // "Illegal constructor" in Android Chrome pages without a service worker.
  }
}
