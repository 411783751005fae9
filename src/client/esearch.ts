/**
 * The client's search with result options ({@link ImapClient.esearch}):
 * ESEARCH (RFC 4731) when the server has it, else the same typed result
 * computed from a plain SEARCH.
 * @internal
 */
import { esearch, type ESearchResult, type SearchReturnOption } from '../commands/esearch.js';
import { search } from '../commands/search.js';
import type { SearchQuery } from '../commands/search-query.js';
import type { CommandContext } from '../connection/types.js';
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
