import type { CommandContext } from '../connection/types.js';
import { decodeMailboxUtf7Lenient, encodeMailboxUtf7 } from '../wire/utf7.js';

/**
 * Decodes a mailbox name as the server sent it (in LIST, LSUB, STATUS,
 * NAMESPACE, METADATA...) into Unicode: UTF-8 names pass through when
 * UTF8=ACCEPT (or IMAP4rev2) is enabled, otherwise the name is modified UTF-7
 * (RFC 3501 5.1.3). A name that is not valid modified UTF-7 (`Foo&Bar`, raw
 * 8-bit `Café`) is returned as sent and noted on the connection, so that
 * giving it back to a command names the same mailbox. So is a name that is
 * valid but not in the canonical form the encoder writes (`&AOk-&AOk-`,
 * which RFC 3501 5.1.3 does not permit, or `&ACY-` for `&`).
 */
export function decodeMailboxName(
  ctx: Pick<CommandContext, 'utf8Enabled' | 'noteRawMailboxName'>,
  raw: string,
): string {
  if (ctx.utf8Enabled) return raw;
  if (raw.indexOf('&') === -1) {
    // Printable ASCII without `&` is its own encoding; anything else (8-bit) is kept as sent.
    if (encodeMailboxUtf7(raw) !== raw) ctx.noteRawMailboxName?.(raw);
    return raw;
  }
  const name = decodeMailboxUtf7Lenient(raw);
  // Encoding the name must give back what the server sent, or a command would
  // name another mailbox: not modified UTF-7, or not its canonical form (the
  // null shift of `&AOk-&AOk-`, RFC 3501 5.1.3, or `&` written `&ACY-`). Such
  // a name is kept as sent and sent back as it is.
  if (name !== raw && encodeMailboxUtf7(name) === raw) return name;
  if (encodeMailboxUtf7(raw) !== raw) ctx.noteRawMailboxName?.(raw);
  return raw;
}

/**
 * True when `a` and `b` name the same mailbox: equal, or both INBOX (which is
 * case-insensitive, RFC 9051 5.1).
 */
export function sameMailbox(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/**
 * The id in a `[MAILBOXID (id)]` code's text (RFC 8474 4.1): the text
 * without its parentheses and the spaces inside them. Linear: the regex
 * `/^\(\s*|\s*\)$/g` it replaces backtracked quadratically on a long run
 * of spaces (1 MiB of them hung the client for minutes).
 * @internal
 */
export function mailboxIdOf(text: string): string {
  let t = text;
  if (t.startsWith('(')) t = t.slice(1).trimStart();
  if (t.endsWith(')')) t = t.slice(0, -1).trimEnd();
  return t;
}
