import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { atom } from '../wire/args.js';
import { requireCapability } from './capability.js';

/**
 * ENABLE (RFC 5161 3.1, RFC 9051 6.3.1; capability ENABLE or IMAP4rev2):
 * turns on extensions that change how the server talks (CONDSTORE, QRESYNC,
 * UTF8=ACCEPT, IMAP4rev2, METADATA...). Returns the extensions the server
 * actually enabled (`* ENABLED`), upper-cased; one it does not know or
 * refuses is silently absent. The connection tracks them in `ctx.enabled`
 * (and `ctx.utf8Enabled` for UTF8=ACCEPT / IMAP4rev2).
 */
export async function enable(
  ctx: CommandContext,
  extensions: readonly string[],
): Promise<Set<string>> {
  requireCapability(ctx, 'ENABLE', 'IMAP4rev2');
  if (extensions.length === 0) throw new ImapArgumentError('ENABLE needs at least one extension');
  const args = extensions.map((e) => atom(e));
  const result = await ctx.exec('ENABLE', args, { collect: ['ENABLED'] });
  const enabled = new Set<string>();
  for (const r of result.untagged) {
    if (r.name === 'ENABLED') for (const c of r.capabilities) enabled.add(c.toUpperCase());
  }
  return enabled;
}
