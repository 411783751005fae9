/**
 * `imapkit import --skip-existing`: the Message-IDs a mailbox already
 * holds (the field of each message's header, `BODY.PEEK[HEADER.FIELDS
 * (MESSAGE-ID)]`) and the Message-ID of a message to import (read from its
 * header section only), so that an interrupted import can be run again.
 */
import { ImapProtocolError, type ImapClient } from '../index.js';
import type { ImportSource } from './sources.js';

/** The most header bytes read looking for a Message-ID. */
const HEADER_LIMIT = 256 * 1024;

/** A Message-ID as compared: folding and other white space removed. */
export function normalizeMessageId(id: string): string {
  return id.replace(/\s+/g, '');
}

/** The Message-ID field of a header section (latin1 text), unfolded, or null. */
export function messageIdOf(header: string): string | null {
  const m = /^message-id[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im.exec(header);
  const id = m === null ? '' : normalizeMessageId(m[1]!);
  return id === '' ? null : id;
}

/** The Message-ID in `source`'s header section, or null when it has none. */
export async function sourceMessageId(source: ImportSource): Promise<string | null> {
  const stream = source.open();
  let head = '';
  try {
    for await (const chunk of stream) {
      head += (chunk as Buffer).toString('latin1');
      const end = head.search(/\r?\n\r?\n/);
      if (end !== -1) return messageIdOf(head.slice(0, end));
      if (head.length > HEADER_LIMIT) break;
    }
    return messageIdOf(head);
  } finally {
    stream.destroy();
  }
}

/** The Message-IDs of the messages in `mailbox`; none when it does not exist (yet). */
export async function mailboxMessageIds(client: ImapClient, mailbox: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let lock;
  try {
    lock = await client.getMailboxLock(mailbox, { readOnly: true });
  } catch (err) {
    if (err instanceof ImapProtocolError) return ids; // APPEND will say what is wrong
    throw err;
  }
  try {
    if ((client.mailbox?.exists ?? 0) === 0) return ids;
    // The header field itself, read like the files' (ENVELOPE would decode it).
    for await (const m of client.fetch('1:*', { headers: ['Message-ID'] })) {
      const id = m.headers === undefined ? null : messageIdOf(m.headers.toString('latin1'));
      if (id !== null) ids.add(id);
    }
    return ids;
  } finally {
    lock.release();
  }
}

/**
 * Splits `sources` into those to import and the number skipped: a message
 * whose Message-ID is in `known` (or earlier in `sources`) is skipped; one
 * without a Message-ID is always imported.
 */
export async function withoutExisting(
  sources: readonly ImportSource[],
  known: Set<string>,
): Promise<{ kept: ImportSource[]; skipped: number }> {
  const kept: ImportSource[] = [];
  let skipped = 0;
  for (const source of sources) {
    const id = await sourceMessageId(source);
    if (id !== null && known.has(id)) {
      skipped++;
      continue;
    }
    if (id !== null) known.add(id);
    kept.push(source);
  }
  return { kept, skipped };
}
