/**
 * The home page's history, as pure functions: what this device received (transfer
 * records, bytes kept until deleted) and sent (sent records, names and sizes only),
 * in one list, newest first, and each entry in the person's language.
 */
import type { SentRecord } from '../session/sent-record.ts';
import type { TransferRecord } from '../session/transfer-record.ts';
import { displayName } from '../transfer/names.ts';
import { deviceWords } from './device-words.ts';
import { percentDone } from '../format/percent.ts';
import { formatBytes } from './format.ts';
import type { Messages } from './i18n/en.ts';

export type HistoryEntry =
  | { direction: 'received'; key: string; at: number; record: TransferRecord }
  | { direction: 'sent'; key: string; at: number; record: SentRecord };

/** Both kinds in one list, newest first: when a transfer began, when a share was first noted. */
export function historyOf(received: readonly TransferRecord[], sent: readonly SentRecord[]): HistoryEntry[] {
  return [
    ...received.map((record): HistoryEntry => ({ direction: 'received', key: `r/${record.id}`, at: record.createdAt, record })),
    ...sent.map((record): HistoryEntry => ({ direction: 'sent', key: `s/${record.id}`, at: record.createdAt, record })),
  ].sort((a, b) => b.at - a.at);
}

/** "IMG_2041.jpg", or "IMG_2041.jpg and 2 more". */
export function titleOf(files: readonly { name: string }[], t: Messages): string {
  const first = displayName(files[0]?.name ?? '');
  return files.length > 1 ? t.stored.nameAndMore(first, files.length - 1) : first;
}

/** A text's first line that says something, as the history shows it; cut short when long. */
export function firstLine(text: string, max = 80): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The entry's state, size, who from or to, and date, in the order they are shown. */
export function detailsOf(entry: HistoryEntry, t: Messages): string[] {
  const date = new Intl.DateTimeFormat(t.tag, { dateStyle: 'medium', timeStyle: 'short' }).format(entry.at);
  if (entry.direction === 'received') {
    const { record } = entry;
    // The size is what this device keeps: all of it, or the part received so far.
    const state = record.done
      ? [record.saved ? t.stored.receivedSaved : t.stored.received, ...sizeOf(record, t)]
      : [t.stored.partly(percentDone({ bytes: record.stored, total: record.total }), formatBytes(record.total, t)), ...(record.ended ? [t.stored.linkEnded] : [])];
    return [...state, ...(record.senderDevice ? [t.stored.from(deviceWords(record.senderDevice)(t))] : []), date];
  }
  const { record } = entry;
  return [t.stored.sent(record.ended ?? null, record.receivers.length > 0), ...sizeOf(record, t), sentTo(record, t), date];
}

/** The entry's size, unless it is a text alone: "0 B" would say nothing. */
function sizeOf(record: { files: readonly unknown[]; total: number }, t: Messages): string[] {
  return record.files.length > 0 ? [formatBytes(record.total, t)] : [];
}

/** Who got every file: one receiver by its device, where it named one; else how many. */
function sentTo({ receivers }: SentRecord, t: Messages): string {
  const [only] = receivers;
  if (!only) return t.stored.toNobody;
  return receivers.length === 1 && only.device !== null ? t.stored.to(deviceWords(only.device)(t)) : t.stored.toReceivers(receivers.length);
}
