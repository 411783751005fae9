import type { CommandContext } from '../connection/types.js';
import { ImapConnectionError } from '../model/errors.js';
import { requireCapability } from './capability.js';

/**
 * GETJMAPACCESS (RFC 9698, capability JMAPACCESS; authenticated or selected
 * state): the URL of the JMAP session resource that serves the same
 * mailstore, from the server's untagged `JMAPACCESS` response. A server that
 * completes the command without sending one fails with an
 * {@link ImapConnectionError} (code `PROTOCOL`), never an empty URL.
 *
 * The command, the response name and that the response carries one string
 * (the URL) are confirmed from independent implementations; the RFC's own
 * ABNF was not available, so the URL is read leniently as an astring
 * (quoted, literal or atom) and returned as sent, unvalidated.
 */
export async function getJmapAccess(ctx: CommandContext): Promise<string> {
  requireCapability(ctx, 'JMAPACCESS');
  const result = await ctx.exec('GETJMAPACCESS', [], { collect: ['JMAPACCESS'] });
  for (const r of result.untagged) if (r.name === 'JMAPACCESS' && r.url !== '') return r.url;
  throw new ImapConnectionError(
    'PROTOCOL',
    'GETJMAPACCESS completed without a JMAPACCESS response (RFC 9698)',
    { command: 'GETJMAPACCESS', serverText: result.tagged.text, responseCode: result.tagged.code },
  );
}
