import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { atom, list } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';

/** A SORT key (RFC 5256 3; DISPLAYFROM and DISPLAYTO from RFC 5957). */
export type SortKey =
  'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

/** A sort criterion: a key, ascending, or `{ reverse: key }`, descending. */
export type SortCriterion =
  | SortKey
  | {
      /** Sort by this key, descending (`REVERSE key`). */
      reverse: SortKey;
    };

/** Options of {@link sort}. */
export interface SortOptions extends LongCommandOptions {
  /** UID SORT: results are UIDs. */
  uid?: boolean;
  /**
   * The CHARSET of the search keys (default UTF-8, which every SORT server
   * supports); after `ENABLE UTF8=ACCEPT` only UTF-8 (RFC 6855 erratum 4029,
   * else ImapArgumentError).
   */
  charset?: string;
}

/** Every sort key (RFC 5256 3; DISPLAYFROM and DISPLAYTO from RFC 5957, capability SORT=DISPLAY). */
export const SORT_KEYS: readonly SortKey[] = [
  'ARRIVAL',
  'CC',
  'DATE',
  'FROM',
  'SIZE',
  'SUBJECT',
  'TO',
  'DISPLAYFROM',
  'DISPLAYTO',
];

const KEYS: ReadonlySet<string> = new Set(SORT_KEYS);

function keyArg(ctx: CommandContext, key: unknown): CommandArg {
  const k = typeof key === 'string' ? key.toUpperCase() : '';
  if (!KEYS.has(k)) throw new ImapArgumentError(`unknown SORT key ${JSON.stringify(key)}`);
  if (k === 'DISPLAYFROM' || k === 'DISPLAYTO') requireCapability(ctx, 'SORT=DISPLAY');
  return atom(k);
}

/** The parenthesized sort criteria, checked (SORT=DISPLAY for DISPLAYFROM/DISPLAYTO). */
export function sortCriteriaArg(
  ctx: CommandContext,
  criteria: readonly SortCriterion[],
): CommandArg {
  if (!Array.isArray(criteria) || criteria.length === 0) {
    throw new ImapArgumentError('SORT needs at least one criterion');
  }
  const items: CommandArg[] = [];
  for (const c of criteria as readonly unknown[]) {
    if (c !== null && typeof c === 'object') {
      items.push(atom('REVERSE'), keyArg(ctx, (c as { reverse: unknown }).reverse));
    } else items.push(keyArg(ctx, c));
  }
  return list(items);
}

/**
 * SORT / UID SORT (RFC 5256 3; capability SORT; DISPLAYFROM/DISPLAYTO need
 * SORT=DISPLAY, RFC 5957): the messages matching `query`, ordered by the
 * criteria, as sequence numbers (or UIDs). The charset is always sent (RFC
 * 5256 requires it). UID SORT is pipelined unless the keys use sequence
 * numbers or `$`.
 */
export async function sort(
  ctx: CommandContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  options: SortOptions = {},
): Promise<number[]> {
  requireCapability(ctx, 'SORT');
  const criteriaArg = sortCriteriaArg(ctx, criteria);
  const program = prepareSearchProgram(ctx, query, {
    charsetRequired: true,
    ...(options.charset === undefined ? {} : { charset: options.charset }),
  });
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'SORT');
  const result = await ctx.exec(
    uid ? 'UID SORT' : 'SORT',
    [criteriaArg, atom(program.charset!), ...program.keys],
    {
      collect: ['SORT'],
      single: true,
      pipeline: uid && program.pipelineSafe,
      ...longCommandOptions(options),
    },
  );
  const numbers: number[] = [];
  // A loop, not push(...): spreading 130,000+ numbers overflows the stack.
  for (const r of result.untagged)
    if (r.name === 'SORT') for (const n of r.numbers) numbers.push(n);
  return numbers;
}
