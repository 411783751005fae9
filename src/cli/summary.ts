/** One-line summaries of messages for search results, watch events and show. */
import type { commands } from '../index.js';
import { printable, truncate } from './output.js';

type FetchedMessage = commands.FetchedMessage;
type Address = commands.MessageAddress | commands.MessageAddressGroup;

/** What a summary shows of a message (also its JSON form). */
export interface MessageSummary {
  uid: number | null;
  seq: number;
  /** The Date: header (ISO), null when absent. */
  date: string | null;
  /** INTERNALDATE (ISO), when fetched. */
  internalDate?: string;
  from: string | null;
  subject: string | null;
  flags: string[];
  size?: number;
}

/** The FETCH items a summary needs. */
export const SUMMARY_ITEMS = {
  uid: true,
  flags: true,
  envelope: true,
  size: true,
  internalDate: true,
} as const;

/** `Name <addr>` (or the address alone) of the first address of a list. */
export function formatAddress(list: readonly Address[] | undefined): string | null {
  const first = list?.[0];
  if (first === undefined) return null;
  if ('group' in first) return first.group;
  if (first.name !== null && first.name !== '') {
    return first.address === null ? first.name : `${first.name} <${first.address}>`;
  }
  return first.address;
}

/** The summary of a fetched message. */
export function summarize(m: FetchedMessage): MessageSummary {
  const s: MessageSummary = {
    uid: m.uid ?? null,
    seq: m.seq,
    date: m.envelope?.date?.toISOString() ?? null,
    from: formatAddress(m.envelope?.from),
    subject: m.envelope?.subject ?? null,
    flags: m.flags === undefined ? [] : [...m.flags],
  };
  if (m.internalDate !== undefined) s.internalDate = m.internalDate.toISOString();
  if (m.size !== undefined) s.size = m.size;
  return s;
}

/** A table row: UID, date, from, subject, flags. */
export function summaryRow(s: MessageSummary): string[] {
  return [
    s.uid === null ? '' : String(s.uid),
    (s.date ?? s.internalDate ?? '').slice(0, 16).replace('T', ' '),
    truncate(printable(s.from ?? ''), 32),
    truncate(printable(s.subject ?? '(no subject)'), 60),
    s.flags.join(' '),
  ];
}

/** Headers of {@link summaryRow}. */
export const SUMMARY_HEADERS = ['UID', 'DATE', 'FROM', 'SUBJECT', 'FLAGS'] as const;
