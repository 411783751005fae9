import type { CommandContext } from '../connection/types.js';
import { ImapCapabilityError, ImapUidRequiredError } from '../model/errors.js';

/**
 * CAPABILITY (RFC 9051 6.1.1, RFC 3501 6.1.1; no capability needed): asks the
 * server for its capabilities again. The connection records them from the
 * response; the result is the announced set, names upper-cased
 * (`IMAP4REV1`, `AUTH=PLAIN`, `QUOTA`, ...).
 */
export async function capability(ctx: CommandContext): Promise<Set<string>> {
  const result = await ctx.exec('CAPABILITY', [], { collect: ['CAPABILITY'] });
  const names = new Set<string>();
  for (const r of result.untagged) {
    if (r.name === 'CAPABILITY') for (const c of r.capabilities) names.add(c.toUpperCase());
  }
  const code = result.tagged.code;
  if (names.size === 0 && code?.name === 'CAPABILITY') {
    for (const c of code.capabilities) names.add(c.toUpperCase());
  }
  return names;
}

/**
 * Throws {@link ImapCapabilityError} naming `name` unless the server announced
 * `name` or one of `alternatives` (e.g. an extension folded into IMAP4rev2).
 * Commands call it before sending anything.
 */
export function requireCapability(
  ctx: Pick<CommandContext, 'hasCapability'>,
  name: string,
  ...alternatives: string[]
): void {
  if (ctx.hasCapability(name)) return;
  for (const alt of alternatives) if (ctx.hasCapability(alt)) return;
  throw new ImapCapabilityError(
    name,
    alternatives.length === 0
      ? `server lacks the ${name} capability`
      : `server lacks the ${name} capability (or ${alternatives.join(', ')})`,
  );
}

/**
 * True when the server announced `name` either bare or with a value
 * (`APPENDLIMIT` or `APPENDLIMIT=35651584`, RFC 7889 3), case-insensitive.
 */
export function hasCapabilityOrValue(
  ctx: Pick<CommandContext, 'hasCapability' | 'capabilities'>,
  name: string,
): boolean {
  if (ctx.hasCapability(name)) return true;
  const prefix = `${name.toUpperCase()}=`;
  for (const c of ctx.capabilities) if (c.toUpperCase().startsWith(prefix)) return true;
  return false;
}

/**
 * True unless the server announced IMAP4rev2 without IMAP4rev1: only then
 * are the commands, items and keys IMAP4rev2 removed (CHECK, LSUB, the
 * RECENT status item, the RECENT / NEW / OLD search keys; RFC 9051
 * appendix E) unavailable. A server announcing neither is taken as IMAP4rev1.
 */
export function speaksImap4rev1(ctx: Pick<CommandContext, 'hasCapability'>): boolean {
  return ctx.hasCapability('IMAP4rev1') || !ctx.hasCapability('IMAP4rev2');
}

/**
 * Throws {@link ImapCapabilityError} (capability `IMAP4rev1`) when `what`, an
 * IMAP4rev1 feature removed by IMAP4rev2, would go to a server that speaks
 * only IMAP4rev2 (see {@link speaksImap4rev1}). Called before anything is sent.
 */
export function requireImap4rev1(ctx: Pick<CommandContext, 'hasCapability'>, what: string): void {
  if (speaksImap4rev1(ctx)) return;
  throw new ImapCapabilityError(
    'IMAP4rev1',
    `${what} is IMAP4rev1 only (removed by IMAP4rev2, RFC 9051 appendix E) and the server announces only IMAP4rev2`,
  );
}

/**
 * Throws {@link ImapUidRequiredError} when UIDONLY is enabled (RFC 9586,
 * capability UIDONLY): `command` names messages by sequence number, which
 * the server would refuse with `BAD [UIDREQUIRED]`. Commands call it before
 * sending anything, on their sequence-number form only.
 */
export function refuseSequenceNumbers(ctx: Pick<CommandContext, 'enabled'>, command: string): void {
  if (!ctx.enabled.has('UIDONLY')) return;
  throw new ImapUidRequiredError(
    `${command} names messages by sequence number, but UIDONLY is enabled (RFC 9586): use UID ${command}`,
    false,
    { command },
  );
}
