import type { CommandContext } from '../connection/types.js';
import { ImapLimitError } from '../model/errors.js';
import type { SequenceSet } from '../model/sequence-set.js';
import type { PartialResult } from '../model/response.js';
import { esearch, type SearchReturnOption } from './esearch.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';
import { refuseSequenceNumbers } from './capability.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { checkMessageLimit } from './messagelimit.js';

/** Options of {@link search}. */
export interface SearchOptions extends LongCommandOptions {
  /** UID SEARCH: results are UIDs. */
  uid?: boolean;
  /**
   * CHARSET to send instead of the one the query needs (UTF-8 for non-ASCII
   * text). After `ENABLE UTF8=ACCEPT` no CHARSET is sent (RFC 6855 3): a
   * `UTF-8` or `US-ASCII` here is left out, any other is an ImapArgumentError.
   */
  charset?: string;
  /**
   * ESEARCH result options (RFC 4731, capability ESEARCH or IMAP4rev2);
   * SAVE needs SEARCHRES and makes the result usable as `$`
   * (`SequenceSet.saved`) in later commands.
   */
  return?: readonly SearchReturnOption[];
  /** RFC 9394 PARTIAL range (`1:100`, `-1:-100`; capability PARTIAL, or CONTEXT=SEARCH for `1:100`). */
  partial?: string;
}

/** The result of {@link search}. */
export interface SearchResult {
  /**
   * The matching sequence numbers or UIDs, in the server's order, for a
   * search without result options; null when result options were given.
   */
  numbers: number[] | null;
  /** MIN: the lowest matching number (absent when nothing matched). */
  min?: number;
  /** MAX: the highest matching number (absent when nothing matched). */
  max?: number;
  /** COUNT: how many messages match. */
  count?: number;
  /** ALL as ranges (never expanded). */
  all?: SequenceSet;
  /** Highest MODSEQ of the matches (CONDSTORE: `(MODSEQ n)` / ESEARCH MODSEQ). */
  modseq?: bigint;
  /** RFC 9394 PARTIAL result. */
  partial?: PartialResult;
}

/**
 * SEARCH / UID SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4; no capability for the
 * base keys; key capabilities as in `compileSearch`, result options as
 * in {@link esearch}). The query is a typed object, raw text or prepared
 * arguments; non-ASCII text adds `CHARSET UTF-8` unless UTF8=ACCEPT is
 * enabled (RFC 6855). With `return` or `partial` the search is sent with
 * RETURN (...) and answered by ESEARCH; otherwise `numbers` holds the
 * matches (from `* SEARCH`, or from the ESEARCH ALL an IMAP4rev2 server
 * sends, expanded because the caller asked for numbers; one naming more
 * messages than the mailbox holds, and over 100,000, or holding `*`, throws
 * ImapLimitError).
 *
 * UID SEARCH is pipelined unless its keys use sequence numbers or `$`
 * (RFC 9051 5.5); SEARCH by sequence numbers is not.
 */
export async function search(
  ctx: CommandContext,
  query: SearchQuery,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'SEARCH');
  if (options.return !== undefined || options.partial !== undefined) {
    const r = await esearch(ctx, query, options);
    const out: SearchResult = { numbers: null };
    if (r.min !== undefined) out.min = r.min;
    if (r.max !== undefined) out.max = r.max;
    if (r.count !== undefined) out.count = r.count;
    if (r.all !== undefined) out.all = r.all;
    if (r.modseq !== undefined) out.modseq = r.modseq;
    if (r.partial !== undefined) out.partial = r.partial;
    return out;
  }
  const program = prepareSearchProgram(
    ctx,
    query,
    options.charset === undefined ? {} : { charset: options.charset },
  );
  const result = await ctx.exec(uid ? 'UID SEARCH' : 'SEARCH', program.args, {
    collect: ['SEARCH', 'ESEARCH'],
    single: true,
    pipeline: uid && program.pipelineSafe,
    ...longCommandOptions(options),
  });
  const out: SearchResult = { numbers: [] };
  for (const r of result.untagged) {
    if (r.name === 'SEARCH') {
      for (const n of r.numbers) out.numbers!.push(n);
      if (r.modseq !== null) out.modseq = r.modseq;
    } else if (r.name === 'ESEARCH') {
      if (r.all !== undefined) {
        out.all = r.all;
        for (const n of expandServerSet(ctx, r.all, 'ESEARCH ALL')) out.numbers!.push(n);
      }
      if (r.modseq !== undefined) out.modseq = r.modseq;
    }
  }
  checkMessageLimit(result, () => out);
  return out;
}

/** Members a server's set may always be expanded to, whatever the mailbox size. */
const MIN_EXPANSION_LIMIT = 100_000;

/**
 * The members of a set the server sent (ESEARCH ALL), for callers that need
 * numbers. A set can name more numbers than it has bytes (`1:4294967295`),
 * so one claiming more members than the selected mailbox has messages (or
 * than 100,000 when the mailbox is smaller), or holding `*`, throws
 * ImapLimitError instead of filling the heap.
 * @internal
 */
export function expandServerSet(ctx: CommandContext, set: SequenceSet, what: string): number[] {
  const limit = Math.max(ctx.selected?.exists ?? 0, MIN_EXPANSION_LIMIT);
  const size = set.size;
  if (size === null || set.isSaved || size > limit) {
    throw new ImapLimitError(
      'setExpansion',
      `${what} from the server names ${size === null ? 'an unbounded set' : `${size} messages`} ` +
        `(${set.toString().slice(0, 80)}); at most ${limit} can be listed (the mailbox has ` +
        `${ctx.selected?.exists ?? 0})`,
    );
  }
  const out: number[] = [];
  for (const n of set.values()) out.push(n);
  return out;
}
