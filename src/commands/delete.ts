import type { CommandContext } from '../connection/types.js';
import { mailbox } from '../wire/args.js';

/**
 * DELETE (RFC 9051 6.3.5, RFC 3501 6.3.4; no capability needed): deletes
 * mailbox `name` (Unicode). A NO (e.g. `[NONEXISTENT]`, `[HASCHILDREN]`)
 * throws ImapProtocolError carrying the code.
 */
export async function deleteMailbox(ctx: CommandContext, name: string): Promise<void> {
  await ctx.exec('DELETE', [mailbox(name)]);
}
