import type { CommandContext } from '../connection/types.js';
import { seq } from '../wire/args.js';
import { requireCapability } from './capability.js';
import { foldExpunged, type ExpungeResult } from './expunge.js';
import type { MessageSet } from './fetch.js';

/**
 * UID EXPUNGE (RFC 4315 2.1, capability UIDPLUS; RFC 9051 6.4.9 in
 * IMAP4rev2): removes only the messages among `uids` that have `\Deleted`,
 * leaving other deleted messages alone. Returns the expunged sequence
 * numbers, or the VANISHED UIDs when QRESYNC is enabled. Never pipelined.
 */
export async function uidExpunge(
  ctx: CommandContext,
  uids: MessageSet,
  options: { signal?: AbortSignal } = {},
): Promise<ExpungeResult> {
  requireCapability(ctx, 'UIDPLUS', 'IMAP4rev2');
  const result = await ctx.exec('UID EXPUNGE', [seq(uids)], {
    collect: ['EXPUNGE', 'VANISHED'],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return foldExpunged(result);
}
