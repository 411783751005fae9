import type { CommandContext } from '../connection/types.js';

/**
 * LOGOUT (RFC 9051 6.1.3; no capability needed): ends the session. The server
 * answers `* BYE` then OK and closes the connection; the result is the BYE
 * text ('' when the server sent none).
 */
export async function logout(ctx: CommandContext): Promise<string> {
  const result = await ctx.exec('LOGOUT', [], { collect: ['BYE'] });
  for (const r of result.untagged) if (r.name === 'BYE') return r.text;
  return '';
}
