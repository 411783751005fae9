import type { CommandContext } from '../connection/types.js';

/**
 * NOOP (RFC 9051 6.1.2; no capability needed): does nothing but lets the
 * server send pending updates (EXISTS, EXPUNGE, FETCH...), which the
 * connection turns into mailbox events. Also resets inactivity timers.
 */
export async function noop(ctx: CommandContext): Promise<void> {
  await ctx.exec('NOOP');
}
