import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { UntaggedResponse } from '../model/response.js';
import { astring, atom, list, mailbox, num } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { requireCapability } from './capability.js';

/** Usage and limit of one resource, in its unit (STORAGE: KiB; MESSAGE: messages). */
export interface QuotaResource {
  /** Current usage, in the resource's unit. */
  usage: bigint;
  /** The limit, in the same unit. */
  limit: bigint;
}

/** A quota root's resources, keyed by upper-cased resource name (STORAGE, MESSAGE, MAILBOX, ANNOTATION-STORAGE...). */
export type QuotaResources = Map<string, QuotaResource>;

/** What GETQUOTAROOT reported. */
export interface QuotaRootResult {
  /** The quota roots of the mailbox (may be empty). */
  roots: string[];
  /** Each root's resources, keyed by root name as sent. */
  quotas: Map<string, QuotaResources>;
}

function foldQuotas(untagged: readonly UntaggedResponse[]): Map<string, QuotaResources> {
  const quotas = new Map<string, QuotaResources>();
  for (const r of untagged) {
    if (r.name === 'QUOTA') quotas.set(r.root, new Map(r.resources));
  }
  return quotas;
}

/**
 * GETQUOTA (RFC 9208 4.2.1, RFC 2087 4.2; capability QUOTA): the resources of
 * quota root `root` (a root name as GETQUOTAROOT returns it, not a mailbox).
 */
export async function getQuota(ctx: CommandContext, root: string): Promise<QuotaResources> {
  requireCapability(ctx, 'QUOTA');
  const result = await ctx.exec('GETQUOTA', [astring(root)], { collect: ['QUOTA'] });
  const quotas = foldQuotas(result.untagged);
  return quotas.get(root) ?? [...quotas.values()][0] ?? new Map();
}

/**
 * GETQUOTAROOT (RFC 9208 4.2.2, RFC 2087 4.3; capability QUOTA): the quota
 * roots of mailbox `name` (Unicode) and the resources of each.
 */
export async function getQuotaRoot(ctx: CommandContext, name: string): Promise<QuotaRootResult> {
  requireCapability(ctx, 'QUOTA');
  const result = await ctx.exec('GETQUOTAROOT', [mailbox(name)], {
    collect: ['QUOTAROOT', 'QUOTA'],
  });
  const roots: string[] = [];
  // A loop, not push(...): spreading 130,000+ roots overflows the stack.
  for (const r of result.untagged)
    if (r.name === 'QUOTAROOT') for (const root of r.roots) roots.push(root);
  return { roots, quotas: foldQuotas(result.untagged) };
}

/**
 * SETQUOTA (RFC 9208 4.2.3, RFC 2087 4.1; capability QUOTA, and QUOTASET on
 * an RFC 9208 server, i.e. one announcing `QUOTA=RES-*`): sets the limits of
 * quota root `root`; a resource left out has no limit afterwards. Returns the
 * root's resources as the server reports them (empty when it sends none).
 * Usually only administrators may do this: others get NO.
 */
export async function setQuota(
  ctx: CommandContext,
  root: string,
  limits: Map<string, number | bigint> | Record<string, number | bigint>,
): Promise<QuotaResources> {
  requireCapability(ctx, 'QUOTA');
  const rfc9208 = [...ctx.capabilities].some((c) => c.toUpperCase().startsWith('QUOTA=RES-'));
  if (rfc9208) requireCapability(ctx, 'QUOTASET');
  const entries = limits instanceof Map ? [...limits] : Object.entries(limits);
  const items: CommandArg[] = [];
  for (const [resource, limit] of entries) {
    if (resource.length === 0) throw new ImapArgumentError('quota resource name is empty');
    items.push(atom(resource), num(limit));
  }
  const result = await ctx.exec('SETQUOTA', [astring(root), list(items)], { collect: ['QUOTA'] });
  const quotas = foldQuotas(result.untagged);
  return quotas.get(root) ?? [...quotas.values()][0] ?? new Map();
}
