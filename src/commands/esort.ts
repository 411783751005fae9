/**
 * Extended SORT (RFC 5267 3, capability ESORT): `SORT RETURN (MIN MAX COUNT
 * ALL) (criteria) charset keys`, answered by one `* ESEARCH` response whose
 * results are in sort order. PARTIAL (RFC 5267 4.4) needs CONTEXT=SORT.
 */
import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { PartialResult, UntaggedOf } from '../model/response.js';
import type { SequenceSet } from '../model/sequence-set.js';
import { atom } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import { returnOptionsArgs } from './esearch.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { sortCriteriaArg, type SortCriterion } from './sort.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';

/** A SORT RETURN option (RFC 5267 3.1). */
export type SortReturnOption = 'MIN' | 'MAX' | 'COUNT' | 'ALL';

/** Options of {@link esort}. */
export interface ESortOptions extends LongCommandOptions {
  /**
   * UID SORT: results are UIDs. Once UIDONLY is enabled (RFC 9586) a SORT
   * without it fails with ImapUidRequiredError before anything is sent.
   */
  uid?: boolean;
  /** The CHARSET of the search keys (default UTF-8). */
  charset?: string;
  /** Result options; `[]` (the default) means ALL (RFC 5267 3.3). */
  return?: readonly SortReturnOption[];
  /**
   * PARTIAL range of the sorted result (RFC 5267 4.4; capability
   * CONTEXT=SORT): `1:100` for the first hundred in sort order. A range
   * counted from the end (`-1:-100`, RFC 9394) also needs PARTIAL.
   */
  partial?: string;
}

/**
 * What an extended SORT returned (RFC 5267 3.1): only what was asked for
 * (and sent) is present. MIN and MAX follow the sort order, not the numbers.
 */
export interface ESortResult {
  /** The results are UIDs. */
  uid: boolean;
  /** MIN: the first message in sort order (absent when nothing matched). */
  min?: number;
  /** MAX: the last message in sort order (absent when nothing matched). */
  max?: number;
  /** COUNT: how many messages match. */
  count?: number;
  /**
   * ALL: the matches in sort order, as the server sent them (never
   * expanded, never reordered). List them with {@link sortedMembers}.
   */
  all?: SequenceSet;
  /** The highest MODSEQ of the matches (CONDSTORE, with a MODSEQ key). */
  modseq?: bigint;
  /** PARTIAL: the range asked for and the matches in it, in sort order (null when none). */
  partial?: PartialResult;
}

/**
 * The members of a sorted result set (ESORT ALL, a sorted PARTIAL, a sort
 * context's ADDTO/REMOVEFROM) in sort order: the ranges in the order sent,
 * each counting upwards, since RFC 5267 3.2 makes `12:10` the same as
 * `10:12`, i.e. 10, 11, 12. Throws ImapArgumentError for `*` or `$`.
 */
export function sortedMembers(set: SequenceSet): number[] {
  if (set.isSaved) throw new ImapArgumentError('cannot enumerate $, the saved search result');
  const out: number[] = [];
  for (const [a, b] of set.ranges) {
    if (a === '*' || b === '*') throw new ImapArgumentError('cannot enumerate a set with *');
    const hi = Math.max(a, b);
    for (let n = Math.min(a, b); n <= hi; n++) out.push(n);
  }
  return out;
}

/** Folds the `* ESEARCH` response(s) of an extended SORT. */
export function foldESort(
  responses: ReadonlyArray<UntaggedOf<'ESEARCH'>>,
  uid: boolean,
): ESortResult {
  const out: ESortResult = { uid };
  for (const r of responses) {
    out.uid = r.uid;
    if (r.min !== undefined) out.min = r.min;
    if (r.max !== undefined) out.max = r.max;
    if (r.count !== undefined) out.count = r.count;
    if (r.all !== undefined) out.all = r.all;
    if (r.modseq !== undefined) out.modseq = r.modseq;
    if (r.partial !== undefined) out.partial = r.partial;
  }
  return out;
}

/** The arguments of `[UID] SORT RETURN (...) (criteria) charset keys`, checked. */
export function esortArgs(
  ctx: CommandContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  ret: { options: readonly string[]; partial?: string | undefined; update?: boolean },
  charset: string | undefined,
): { args: CommandArg[]; pipelineSafe: boolean } {
  requireCapability(ctx, 'SORT');
  const returnArgs = returnOptionsArgs(ctx, { command: 'SORT', ...ret });
  const criteriaArg = sortCriteriaArg(ctx, criteria);
  const program = prepareSearchProgram(ctx, query, {
    charsetRequired: true,
    ...(charset === undefined ? {} : { charset }),
  });
  return {
    args: [...returnArgs, criteriaArg, atom(program.charset!), ...program.keys],
    pipelineSafe: program.pipelineSafe,
  };
}

/**
 * SORT / UID SORT with result options (RFC 5267 3; capability ESORT,
 * PARTIAL needs CONTEXT=SORT): the ESEARCH response folded into a typed
 * result whose ALL keeps the sort order. UID SORT is pipelined unless the
 * keys use sequence numbers or `$`.
 *
 * Dovecot 2.3 answers `UID SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) ...`
 * with `* ESEARCH (TAG "a3") UID MIN 2 MAX 3 ALL 2,1,4,3 COUNT 4`.
 */
export async function esort(
  ctx: CommandContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  options: ESortOptions = {},
): Promise<ESortResult> {
  const { args, pipelineSafe } = esortArgs(
    ctx,
    criteria,
    query,
    { options: options.return ?? [], partial: options.partial },
    options.charset,
  );
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'SORT');
  const result = await ctx.exec(uid ? 'UID SORT' : 'SORT', args, {
    collect: ['ESEARCH'],
    single: true,
    pipeline: uid && pipelineSafe,
    ...longCommandOptions(options),
  });
  const responses = result.untagged.filter((r): r is UntaggedOf<'ESEARCH'> => r.name === 'ESEARCH');
  return foldESort(responses, uid);
}
