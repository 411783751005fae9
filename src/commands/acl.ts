import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { astring, mailbox } from '../wire/args.js';
import { requireCapability } from './capability.js';

/** What LISTRIGHTS reported (RFC 4314 3.7). */
export interface ListRightsResult {
  /** Rights always granted to the identifier on the mailbox (may be ''). */
  required: string;
  /** Rights that may be granted, each group granted together (e.g. `['l', 'r', 's', 'w', 'i', 'p', 'kx', 'te', 'a']`). */
  optional: string[];
}

function checkRights(rights: string, signed: boolean): void {
  const re = signed ? /^[+-]?[a-z0-9]*$/ : /^[a-z0-9]*$/;
  if (!re.test(rights)) {
    throw new ImapArgumentError(`invalid ACL rights ${JSON.stringify(rights)} (RFC 4314 2.1)`);
  }
}

/**
 * GETACL (RFC 4314 3.3; capability ACL): the access control list of mailbox
 * `name` (Unicode): identifier (`anyone`, a user name, `-bob` for negative
 * rights...) → rights string (e.g. `lrswipkxtecda`).
 */
export async function getAcl(ctx: CommandContext, name: string): Promise<Map<string, string>> {
  requireCapability(ctx, 'ACL');
  const result = await ctx.exec('GETACL', [mailbox(name)], { collect: ['ACL'] });
  const acl = new Map<string, string>();
  for (const r of result.untagged) {
    if (r.name === 'ACL') for (const [id, rights] of r.rights) acl.set(id, rights);
  }
  return acl;
}

/**
 * SETACL (RFC 4314 3.1; capability ACL): sets `identifier`'s rights on
 * mailbox `name` (Unicode): `rights` replaces them, `+rights` adds, `-rights`
 * removes.
 */
export async function setAcl(
  ctx: CommandContext,
  name: string,
  identifier: string,
  rights: string,
): Promise<void> {
  requireCapability(ctx, 'ACL');
  checkRights(rights, true);
  await ctx.exec('SETACL', [mailbox(name), astring(identifier), astring(rights)]);
}

/** DELETEACL (RFC 4314 3.2; capability ACL): removes `identifier`'s entry from mailbox `name`'s ACL. */
export async function deleteAcl(
  ctx: CommandContext,
  name: string,
  identifier: string,
): Promise<void> {
  requireCapability(ctx, 'ACL');
  await ctx.exec('DELETEACL', [mailbox(name), astring(identifier)]);
}

/** MYRIGHTS (RFC 4314 3.5; capability ACL): the rights the logged-in user has on mailbox `name`. */
export async function myRights(ctx: CommandContext, name: string): Promise<string> {
  requireCapability(ctx, 'ACL');
  const result = await ctx.exec('MYRIGHTS', [mailbox(name)], { collect: ['MYRIGHTS'] });
  for (const r of result.untagged) if (r.name === 'MYRIGHTS') return r.rights;
  return '';
}

/**
 * LISTRIGHTS (RFC 4314 3.4; capability ACL): the rights that can be granted
 * to `identifier` on mailbox `name`.
 */
export async function listRights(
  ctx: CommandContext,
  name: string,
  identifier: string,
): Promise<ListRightsResult> {
  requireCapability(ctx, 'ACL');
  const result = await ctx.exec('LISTRIGHTS', [mailbox(name), astring(identifier)], {
    collect: ['LISTRIGHTS'],
  });
  for (const r of result.untagged) {
    if (r.name === 'LISTRIGHTS') return { required: r.required, optional: r.optional };
  }
  return { required: '', optional: [] };
}
