import type { CommandContext } from '../connection/types.js';
import { astring } from '../wire/args.js';

/**
 * PROXYAUTH (Cyrus IMAP; not in any RFC, no capability announced, so sent as
 * is): an administrator logged in as themselves acts as `user` from now on.
 * A server without it answers BAD, which throws ImapProtocolError.
 */
export async function proxyAuth(ctx: CommandContext, user: string): Promise<void> {
  await ctx.exec('PROXYAUTH', [astring(user)]);
}
