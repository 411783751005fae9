import type { CommandContext } from '../connection/types.js';

/**
 * CLOSE (RFC 9051 6.4.1, RFC 3501 6.4.2; no capability): silently expunges
 * every `\Deleted` message (unless the mailbox is read-only) and leaves the
 * selected state. No EXPUNGE responses are sent. Use `unselect` to
 * leave without expunging.
 */
export async function close(ctx: CommandContext): Promise<void> {
  await ctx.exec('CLOSE');
}
