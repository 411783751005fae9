import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { fetchOne } from './fetch.js';
import { sectionKey } from './fetch-items.js';

/** Options of {@link partial}. */
export interface PartialOptions {
  /** `id` is a UID (UID FETCH). */
  uid?: boolean;
  /** Cancels the command: it rejects with an error of code `ABORTED`. */
  signal?: AbortSignal;
}

/** The RFC 1730 item names and the section / PEEK they mean in FETCH. */
function translate(part: string): { section: string; peek: boolean } {
  const p = part.trim();
  const upper = p.toUpperCase();
  switch (upper) {
    case 'RFC822':
      return { section: '', peek: false };
    case 'RFC822.PEEK':
      return { section: '', peek: true };
    case 'RFC822.HEADER':
      return { section: 'HEADER', peek: true };
    case 'RFC822.TEXT':
      return { section: 'TEXT', peek: false };
    case 'RFC822.TEXT.PEEK':
      return { section: 'TEXT', peek: true };
  }
  const m = /^BODY(\.PEEK)?\[(.*)\]$/i.exec(p);
  if (m === null)
    throw new ImapArgumentError(`PARTIAL: unsupported message part ${JSON.stringify(part)}`);
  return { section: m[2]!, peek: m[1] !== undefined };
}

/**
 * PARTIAL (RFC 1730 6.4.6; obsolete since RFC 2060, no server implements it
 * any more; imaplib's `IMAP4.partial`), mapped to FETCH with a byte range:
 * `partial(ctx, 3, 'BODY[]', 1, 1024)` sends `FETCH 3 (BODY[]<0.1024>)`.
 * As in RFC 1730, `start` counts from 1 (the first octet is octet 1); the
 * FETCH origin counts from 0. `part` is `RFC822`, `RFC822.PEEK`,
 * `RFC822.HEADER`, `RFC822.TEXT`, `RFC822.TEXT.PEEK`, `BODY[section]` or
 * `BODY.PEEK[section]`; without PEEK `\Seen` is set, as PARTIAL did. Returns
 * the bytes (fewer than `length` at the end of the part), or null when the
 * message does not exist or the server sent NIL. No capability needed.
 */
export async function partial(
  ctx: CommandContext,
  id: number,
  part: string,
  start: number,
  length: number,
  options: PartialOptions = {},
): Promise<Buffer | null> {
  if (typeof part !== 'string') throw new ImapArgumentError('PARTIAL: part must be a string');
  if (!Number.isInteger(start) || start < 1) {
    throw new ImapArgumentError('PARTIAL: start counts from 1 (RFC 1730)');
  }
  const { section, peek } = translate(part);
  const message = await fetchOne(
    ctx,
    id,
    { bodyParts: [{ section, peek, partial: { start: start - 1, length } }] },
    options,
  );
  // The range's key (`BODY[]<0>`); a server leaving out the origin is tolerated.
  const parts = message?.parts;
  return (
    parts?.get(sectionKey(section, false, start - 1)) ?? parts?.get(sectionKey(section)) ?? null
  );
}
