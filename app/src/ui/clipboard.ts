/**
 * Copying a text to the clipboard, where the page may: the asynchronous Clipboard API,
 * else (no permission, or a page over plain http) a selected hidden field and the old
 * copy command.
 */

/** Puts `text` on the clipboard, exactly; false when the browser would not let us. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = document.createElement('textarea');
    field.value = text;
    field.setAttribute('readonly', '');
    field.style.position = 'fixed';
    field.style.opacity = '0';
    document.body.append(field);
    field.select();
    try {
      return document.execCommand('copy');
    } finally {
      field.remove();
    }
  }
}
