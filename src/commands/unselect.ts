import type { CommandContext } from '../connection/types.js';
import { requireCapability } from './capability.js';

/**
 * UNSELECT (RFC 3691 2, capability UNSELECT; RFC 9051 6.4.2 in IMAP4rev2):
 * leaves the selected state without expunging anything, unlike CLOSE.
 */
export async function unselect(ctx: CommandContext): Promise<void> {
  requireCapability(ctx, 'UNSELECT', 'IMAP4rev2');
  await ctx.exec('UNSELECT');
}
