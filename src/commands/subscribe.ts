import type { CommandContext } from '../connection/types.js';
import { mailbox } from '../wire/args.js';

/**
 * SUBSCRIBE (RFC 9051 6.3.7, RFC 3501 6.3.6; no capability needed): adds
 * mailbox `name` (Unicode) to the subscribed set.
 */
export async function subscribe(ctx: CommandContext, name: string): Promise<void> {
  await ctx.exec('SUBSCRIBE', [mailbox(name)]);
}

/**
 * UNSUBSCRIBE (RFC 9051 6.3.8, RFC 3501 6.3.7; no capability needed): removes
 * mailbox `name` (Unicode) from the subscribed set.
 */
export async function unsubscribe(ctx: CommandContext, name: string): Promise<void> {
  await ctx.exec('UNSUBSCRIBE', [mailbox(name)]);
}
