import type { CommandContext } from '../connection/types.js';
import { seq } from '../wire/args.js';
import { requireCapability } from './capability.js';
import { foldExpunged, type ExpungeResult } from './expunge.js';
import type { MessageSet } from './fetch.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { refuseReadOnly } from './read-only.js';
import { checkMessageLimit } from './messagelimit.js';

/**
 * UID EXPUNGE (RFC 4315 2.1, capability UIDPLUS; RFC 9051 6.4.9 in
 * IMAP4rev2): removes only the messages among `uids` that have `\Deleted`,
 * leaving other deleted messages alone. Returns the expunged sequence
 * numbers, or the VANISHED UIDs when QRESYNC or UIDONLY is enabled. Never
 * pipelined. `onProgress` hears the server's INPROGRESS reports (RFC 9585).
 * Throws ImapStateError before sending in a mailbox selected read-only.
 */
export async function uidExpunge(
  ctx: CommandContext,
  uids: MessageSet,
  options: LongCommandOptions = {},
): Promise<ExpungeResult> {
  requireCapability(ctx, 'UIDPLUS', 'IMAP4rev2');
  refuseReadOnly(ctx, 'UID EXPUNGE');
  const result = await ctx.exec('UID EXPUNGE', [seq(uids)], {
    collect: ['EXPUNGE', 'VANISHED'],
    ...longCommandOptions(options),
  });
  const out = foldExpunged(result);
  checkMessageLimit(result, () => out);
  return out;
}
