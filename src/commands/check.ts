import type { CommandContext } from '../connection/types.js';
import { speaksImap4rev1 } from './capability.js';

/**
 * CHECK (RFC 3501 6.4.1; IMAP4rev1, no extra capability): asks the server to
 * checkpoint the selected mailbox. IMAP4rev2 removed CHECK (RFC 9051
 * appendix E: use NOOP instead), so on a server that announces IMAP4rev2 but not
 * IMAP4rev1 a NOOP is sent instead.
 */
export async function check(ctx: CommandContext): Promise<void> {
  await ctx.exec(speaksImap4rev1(ctx) ? 'CHECK' : 'NOOP');
}
