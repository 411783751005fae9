import type { CommandContext } from '../connection/types.js';
import { mailbox } from '../wire/args.js';
import { speaksImap4rev1 } from './capability.js';
import { foldList, list, type MailboxEntry } from './list.js';

/**
 * LSUB (RFC 3501 6.3.9; IMAP4rev1, deprecated by IMAP4rev2): the subscribed
 * mailboxes matching `pattern` under `reference` (Unicode). On a server that
 * offers IMAP4rev2 but not IMAP4rev1 it is sent as `LIST (SUBSCRIBED)`
 * (RFC 9051 6.3.9), which may also return subscribed mailboxes that no
 * longer exist (`\NonExistent`). Every entry has `subscribed: true`.
 */
export async function lsub(
  ctx: CommandContext,
  reference: string,
  pattern: string,
): Promise<MailboxEntry[]> {
  if (!speaksImap4rev1(ctx)) {
    return list(ctx, reference, pattern, { selection: ['SUBSCRIBED'] });
  }
  const result = await ctx.exec('LSUB', [mailbox(reference), mailbox(pattern)], {
    collect: ['LSUB'],
  });
  return foldList(ctx, result.untagged, 'LSUB');
}
