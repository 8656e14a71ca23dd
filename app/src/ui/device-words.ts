/**
 * A device's self-description in the page's language: "Safari 27 on iOS" arrives in
 * the form every Ferry sends (transfer/device.ts) and is worded here, "Safari 27 на
 * iOS" on a Russian page. A name a person gave their device is shown as typed.
 */
import { readDevice } from '../transfer/device.ts';
import type { Phrase } from './i18n/en.ts';

export function deviceWords(text: string): Phrase {
  // The sender tells alike receivers apart as "Chrome 131 on Linux (2)" (session/receiver-rows.ts).
  const [, described = text, copy = ''] = /^(.*?)( \(\d+\))?$/.exec(text) ?? [];
  const parts = readDevice(described);
  if (!parts) return () => text;
  const { browser, system } = parts;
  const named = browser && `${browser.name} ${browser.version}`;
  return (t) => (named && system ? t.device.described(named, system) : (named ?? system ?? '')) + copy;
}
