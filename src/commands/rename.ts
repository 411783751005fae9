import type { CommandContext } from '../connection/types.js';
import { mailbox } from '../wire/args.js';

/**
 * RENAME (RFC 9051 6.3.6, RFC 3501 6.3.5; no capability needed): renames
 * mailbox `from` to `to` (both Unicode), with its children. Renaming INBOX
 * moves its messages to the new mailbox and leaves INBOX empty. A NO throws
 * ImapProtocolError carrying the code.
 */
export async function rename(ctx: CommandContext, from: string, to: string): Promise<void> {
  await ctx.exec('RENAME', [mailbox(from), mailbox(to)]);
}
