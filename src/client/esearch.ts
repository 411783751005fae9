/**
 * The client's search with result options ({@link ImapClient.esearch}):
 * ESEARCH (RFC 4731) when the server has it, else the same typed result
 * computed from a plain SEARCH.
 * @internal
 */
import { searchContext, sortContext, type SearchContext } from '../commands/context.js';
import { esearch, type ESearchResult, type SearchReturnOption } from '../commands/esearch.js';
import { esort, type ESortResult, type SortReturnOption } from '../commands/esort.js';
import { search } from '../commands/search.js';
import { sort, type SortCriterion } from '../commands/sort.js';
import type { SearchQuery } from '../commands/search-query.js';
import type { CommandContext, CorrelatingContext } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { byUid, type MessageOptions } from './messages.js';

/** Options of {@link ImapClient.esearch}. */
export interface ClientESearchOptions extends MessageOptions {
  /**
   * What to return: any of `MIN`, `MAX`, `COUNT`, `ALL` (default `['ALL']`,
   * as RFC 4731 3.1 reads an empty list), and `SAVE` (keeps the result on
   * the server as `$`, `SequenceSet.saved`; capability SEARCHRES or
   * IMAP4rev2, never emulated).
   */
  return?: readonly SearchReturnOption[];
  /**
   * RFC 9394 PARTIAL range (`1:100` for the first hundred matches,
   * `-1:-100` for the last hundred; capability PARTIAL, never emulated).
   */
  partial?: string;
  /** CHARSET to send instead of the one the query needs. */
  charset?: string;
}

const EMULATED = new Set(['MIN', 'MAX', 'COUNT', 'ALL']);
const KNOWN = new Set([...EMULATED, 'SAVE']);

/**
 * What ESEARCH would have said about `numbers` (matches of a plain SEARCH,
 * in any order, possibly repeated) for the options `wanted` (upper-case).
 */
export function summarizeSearch(
  numbers: readonly number[],
  wanted: ReadonlySet<string>,
  uid: boolean,
): ESearchResult {
  const out: ESearchResult = { uid };
  const unique = [...new Set(numbers)];
  if (wanted.has('COUNT')) out.count = unique.length;
  if (unique.length === 0) return out;
  if (wanted.has('MIN')) out.min = unique.reduce((a, b) => (b < a ? b : a));
  if (wanted.has('MAX')) out.max = unique.reduce((a, b) => (b > a ? b : a));
  if (wanted.has('ALL')) out.all = SequenceSet.fromNumbers(unique);
  return out;
}

/**
 * SEARCH with result options: sent as `SEARCH RETURN (...)` when the server
 * has ESEARCH (or IMAP4rev2); otherwise MIN, MAX, COUNT and ALL are
 * computed from a plain SEARCH (the numbers cross the wire, the result is
 * the same), while SAVE and PARTIAL throw ImapCapabilityError.
 */
export async function clientESearch(
  ctx: CommandContext,
  query: SearchQuery,
  options: ClientESearchOptions,
): Promise<ESearchResult> {
  const common = {
    ...byUid(options),
    ...(options.charset === undefined ? {} : { charset: options.charset }),
  };
  const ret = options.return ?? [];
  const native = ctx.hasCapability('ESEARCH') || ctx.hasCapability('IMAP4rev2');
  const wanted = Array.isArray(ret)
    ? new Set(ret.map((o) => (typeof o === 'string' ? o.toUpperCase() : String(o))))
    : null;
  for (const o of wanted ?? []) {
    if (!KNOWN.has(o))
      throw new ImapArgumentError(`unknown SEARCH RETURN option ${JSON.stringify(o)}`);
  }
  const emulable =
    wanted !== null && options.partial === undefined && [...wanted].every((o) => EMULATED.has(o));
  if (native || !emulable) {
    // esearch() validates the options and throws ImapCapabilityError without ESEARCH.
    return esearch(ctx, query, {
      ...common,
      return: ret,
      ...(options.partial === undefined ? {} : { partial: options.partial }),
    });
  }
  if (wanted.size === 0) wanted.add('ALL');
  const r = await search(ctx, query, common);
  const numbers = r.numbers ?? [];
  const out = summarizeSearch(numbers, wanted, common.uid);
  if (r.modseq !== undefined && numbers.length > 0) out.modseq = r.modseq;
  return out;
}

/** Options of {@link ImapClient.esort}. */
export interface ClientESortOptions extends MessageOptions {
  /**
   * What to return: any of `MIN` (the first in sort order), `MAX` (the
   * last), `COUNT`, `ALL` (default `['ALL']`, in sort order).
   */
  return?: readonly SortReturnOption[];
  /** PARTIAL range of the sorted result (`1:100`; capability CONTEXT=SORT, never emulated). */
  partial?: string;
  /** CHARSET of the search keys (default UTF-8). */
  charset?: string;
}

const SORT_OPTIONS = new Set(['MIN', 'MAX', 'COUNT', 'ALL']);

/**
 * A set of `numbers` that keeps their order (a sort's): runs of
 * consecutive ascending numbers become ranges, nothing is reordered.
 */
export function orderedSet(numbers: readonly number[]): SequenceSet {
  if (numbers.length === 0) throw new ImapArgumentError('empty sequence set');
  let text = '';
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    if (text !== '') text += ',';
    text += i === j ? String(numbers[i]) : `${numbers[i]}:${numbers[j]}`;
    i = j + 1;
  }
  return SequenceSet.parse(text);
}

/**
 * SORT with result options: `SORT RETURN (...)` when the server has ESORT
 * (RFC 5267 3); otherwise MIN, MAX, COUNT and ALL are computed from a plain
 * SORT (same result, every match crosses the wire), while PARTIAL throws
 * ImapCapabilityError.
 */
export async function clientESort(
  ctx: CommandContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  options: ClientESortOptions,
): Promise<ESortResult> {
  const common = {
    ...byUid(options),
    ...(options.charset === undefined ? {} : { charset: options.charset }),
  };
  const ret = options.return ?? [];
  const native = ctx.hasCapability('ESORT') || ctx.hasCapability('CONTEXT=SORT');
  if (native || options.partial !== undefined || !Array.isArray(ret)) {
    return esort(ctx, criteria, query, {
      ...common,
      return: ret,
      ...(options.partial === undefined ? {} : { partial: options.partial }),
    });
  }
  const wanted = new Set<string>();
  for (const o of ret as readonly unknown[]) {
    const upper = typeof o === 'string' ? o.toUpperCase() : '';
    if (!SORT_OPTIONS.has(upper)) {
      throw new ImapArgumentError(`unknown SORT RETURN option ${JSON.stringify(o)}`);
    }
    wanted.add(upper);
  }
  if (wanted.size === 0) wanted.add('ALL');
  const numbers = await sort(ctx, criteria, query, common);
  const out: ESortResult = { uid: common.uid };
  if (wanted.has('COUNT')) out.count = numbers.length;
  if (numbers.length === 0) return out;
  if (wanted.has('MIN')) out.min = numbers[0]!;
  if (wanted.has('MAX')) out.max = numbers[numbers.length - 1]!;
  if (wanted.has('ALL')) out.all = orderedSet(numbers);
  return out;
}

/** Options of {@link ImapClient.searchContext} and {@link ImapClient.sortContext}. */
export interface ClientContextOptions extends MessageOptions {
  /** The initial result's options (default `['ALL']`). */
  return?: readonly Exclude<SearchReturnOption, 'SAVE'>[];
  /** PARTIAL range of the initial result (`1:100`). */
  partial?: string;
  /** CHARSET of the search keys. */
  charset?: string;
  /** Updates kept for a consumer that does not read them (default 10,000); past it, LIMIT. */
  maxBuffered?: number;
  /**
   * Estimated size of the updates kept for a consumer that does not read
   * them (default 16 MiB; see `ContextOptions.maxBufferedBytes`); past it, LIMIT.
   */
  maxBufferedBytes?: number;
}

function contextOptions(options: ClientContextOptions) {
  return {
    ...byUid(options),
    ...(options.return === undefined ? {} : { return: options.return }),
    ...(options.partial === undefined ? {} : { partial: options.partial }),
    ...(options.charset === undefined ? {} : { charset: options.charset }),
    ...(options.maxBuffered === undefined ? {} : { maxBuffered: options.maxBuffered }),
    ...(options.maxBufferedBytes === undefined
      ? {}
      : { maxBufferedBytes: options.maxBufferedBytes }),
  };
}

/** {@link searchContext} with the client's defaults (UIDs). */
export function clientSearchContext(
  ctx: CorrelatingContext,
  query: SearchQuery,
  options: ClientContextOptions,
): Promise<SearchContext<ESearchResult>> {
  return searchContext(ctx, query, contextOptions(options));
}

/** {@link sortContext} with the client's defaults (UIDs). */
export function clientSortContext(
  ctx: CorrelatingContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  options: ClientContextOptions,
): Promise<SearchContext<ESortResult>> {
  return sortContext(ctx, criteria, query, contextOptions(options));
}
