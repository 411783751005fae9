import type { CommandContext } from '../connection/types.js';
import { requireCapability } from './capability.js';

/**
 * UNAUTHENTICATE (RFC 8437 3; capability UNAUTHENTICATE): returns the
 * connection to the not-authenticated state without closing it, so another
 * user can log in; any selected mailbox is closed without expunging.
 */
export async function unauthenticate(ctx: CommandContext): Promise<void> {
  requireCapability(ctx, 'UNAUTHENTICATE');
  await ctx.exec('UNAUTHENTICATE');
}
