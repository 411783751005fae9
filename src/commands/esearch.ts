/**
 * Extended SEARCH with result options (RFC 4731 ESEARCH; RFC 9051 6.4.4
 * where it is part of IMAP4rev2; SAVE from RFC 5182 SEARCHRES; PARTIAL from
 * RFC 9394): `SEARCH RETURN (MIN MAX COUNT ALL SAVE PARTIAL r) ...`, answered
 * by one `* ESEARCH` response.
 */
import type { CommandContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import type { PartialResult, UntaggedOf } from '../model/response.js';
import type { SequenceSet } from '../model/sequence-set.js';
import { atom, list, raw } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { checkMessageLimit } from './messagelimit.js';

/** A SEARCH RETURN option (RFC 4731 3.1, RFC 5182 2). */
export type SearchReturnOption = 'MIN' | 'MAX' | 'COUNT' | 'ALL' | 'SAVE';

/** Options of {@link esearch}. */
export interface ESearchOptions extends LongCommandOptions {
  /** UID SEARCH: results are UIDs. */
  uid?: boolean;
  /** CHARSET to send instead of the one the query needs. */
  charset?: string;
  /**
   * Result options; `[]` means ALL (RFC 4731 3.1). SAVE (capability
   * SEARCHRES or IMAP4rev2) keeps the result on the server as `$`
   * (`SequenceSet.saved`) for later commands.
   */
  return?: readonly SearchReturnOption[];
  /**
   * PARTIAL range (RFC 9394, capability PARTIAL): `1:100` for the first
   * hundred matches, `-1:-100` for the last hundred. A range from the start
   * is also allowed by CONTEXT=SEARCH (RFC 5267 4.4). Not with ALL.
   */
  partial?: string;
}

/** What an ESEARCH response carried; only the options asked for (and sent) are present. */
export interface ESearchResult {
  /** The results are UIDs. */
  uid: boolean;
  /** MIN: the lowest matching number (absent when nothing matched). */
  min?: number;
  /** MAX: the highest matching number (absent when nothing matched). */
  max?: number;
  /** COUNT: how many messages match. */
  count?: number;
  /** The matches as ranges (never expanded). */
  all?: SequenceSet;
  /** The highest MODSEQ of the matches (CONDSTORE, with a MODSEQ key). */
  modseq?: bigint;
  /** RFC 9394 PARTIAL: the range asked for and the matches in it (null when none). */
  partial?: PartialResult;
}

const OPTIONS = new Set<string>(['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE']);
const PARTIAL_RANGE = /^(?:[1-9][0-9]{0,9}:[1-9][0-9]{0,9}|-[1-9][0-9]{0,9}:-[1-9][0-9]{0,9})$/;

/** What a `RETURN (...)` list asks for, and of which command. */
export interface ReturnSpec {
  /** SEARCH (RFC 4731) or SORT (ESORT, RFC 5267 3). */
  command: 'SEARCH' | 'SORT';
  /** MIN, MAX, COUNT, ALL, SAVE (SEARCH only). */
  options: readonly string[];
  /** A PARTIAL range. */
  partial?: string | undefined;
  /** UPDATE (RFC 5267 4.3): keep the result up to date. */
  update?: boolean | undefined;
}

/**
 * `RETURN (...)` for a search or sort, checking each option's capability:
 * SEARCH needs ESEARCH (or IMAP4rev2, or CONTEXT=SEARCH), SORT needs ESORT
 * (or CONTEXT=SORT); SAVE needs SEARCHRES (or IMAP4rev2) and is SEARCH only;
 * UPDATE needs CONTEXT=SEARCH / CONTEXT=SORT; a PARTIAL range needs PARTIAL
 * (RFC 9394) or, for a range counted from the start, CONTEXT=SEARCH /
 * CONTEXT=SORT (RFC 5267 4.4). ALL and PARTIAL together are refused (RFC
 * 5267 4.4, RFC 9394 3.1).
 */
export function returnOptionsArgs(
  ctx: Pick<CommandContext, 'hasCapability'>,
  spec: ReturnSpec,
): CommandArg[] {
  const { command, options, partial } = spec;
  if (!Array.isArray(options)) throw new ImapArgumentError('return options must be an array');
  const contextCap = command === 'SEARCH' ? 'CONTEXT=SEARCH' : 'CONTEXT=SORT';
  if (command === 'SEARCH') requireCapability(ctx, 'ESEARCH', 'IMAP4rev2', contextCap);
  else requireCapability(ctx, 'ESORT', contextCap);
  const items: CommandArg[] = [];
  let all = false;
  for (const o of options as readonly unknown[]) {
    const upper = typeof o === 'string' ? o.toUpperCase() : '';
    if (!OPTIONS.has(upper) || (upper === 'SAVE' && command === 'SORT')) {
      throw new ImapArgumentError(`unknown ${command} RETURN option ${JSON.stringify(o)}`);
    }
    if (upper === 'SAVE') requireCapability(ctx, 'SEARCHRES', 'IMAP4rev2');
    if (upper === 'ALL') all = true;
    items.push(atom(upper));
  }
  if (spec.update === true) {
    requireCapability(ctx, contextCap);
    items.push(atom('UPDATE'));
  }
  if (partial !== undefined) {
    if (typeof partial !== 'string' || !PARTIAL_RANGE.test(partial)) {
      throw new ImapArgumentError(`invalid PARTIAL range ${JSON.stringify(partial)}`);
    }
    if (all) throw new ImapArgumentError('RETURN cannot hold both ALL and PARTIAL (RFC 5267 4.4)');
    if (partial.startsWith('-')) requireCapability(ctx, 'PARTIAL');
    else requireCapability(ctx, 'PARTIAL', contextCap);
    if (command === 'SORT') requireCapability(ctx, contextCap);
    items.push(atom('PARTIAL'), raw(partial));
  }
  return [atom('RETURN'), list(items)];
}

/** Folds `* ESEARCH` responses (normally one) into a result. */
export function foldESearch(
  responses: ReadonlyArray<UntaggedOf<'ESEARCH'>>,
  uid: boolean,
): ESearchResult {
  const out: ESearchResult = { uid };
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

/**
 * SEARCH / UID SEARCH with RETURN options (RFC 4731 3.1; capability ESEARCH
 * or IMAP4rev2, or CONTEXT=SEARCH; SAVE needs SEARCHRES, PARTIAL needs
 * PARTIAL, or CONTEXT=SEARCH for a range from the start, RFC 5267 4.4). Returns what
 * the ESEARCH response carried; a set stays ranges. A search that saves its
 * result (SAVE) or uses sequence numbers is never pipelined.
 */
export async function esearch(
  ctx: CommandContext,
  query: SearchQuery,
  options: ESearchOptions = {},
): Promise<ESearchResult> {
  const ret = options.return ?? [];
  const returnArgs = returnOptionsArgs(ctx, {
    command: 'SEARCH',
    options: ret,
    partial: options.partial,
  });
  const programOptions = options.charset === undefined ? {} : { charset: options.charset };
  const program = prepareSearchProgram(ctx, query, programOptions);
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'SEARCH');
  const saves = ret.some((o) => o.toUpperCase() === 'SAVE');
  const result = await ctx.exec(uid ? 'UID SEARCH' : 'SEARCH', [...returnArgs, ...program.args], {
    collect: ['ESEARCH'],
    single: true,
    pipeline: uid && program.pipelineSafe && !saves,
    ...longCommandOptions(options),
  });
  const responses = result.untagged.filter((r): r is UntaggedOf<'ESEARCH'> => r.name === 'ESEARCH');
  const out = foldESearch(responses, uid);
  checkMessageLimit(result, () => out);
  return out;
}
