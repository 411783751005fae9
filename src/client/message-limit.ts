/**
 * The client's answer to MESSAGELIMIT (RFC 9738): a UID FETCH the server
 * cut short with `OK [MESSAGELIMIT n uid]` (it processed the messages from
 * UID `uid` up, highest first) is continued on the UIDs of the set below
 * `uid`, until the server has processed them all. The server's error is
 * passed on where continuing cannot be right (a FETCH by sequence numbers,
 * `$`, no UID in the code, or a round that delivered no message). Not
 * detected: a cut reported in an untagged `* NO [MESSAGELIMIT ...]` (RFC
 * 9738 uses it when the tagged OK carries another code). Costs nothing on
 * a server without the limit: the command's own iterator is used.
 * @internal
 */
import {
  fetch as fetchCommand,
  fetchAll as fetchAllCommand,
  type FetchedMessage,
  type FetchOptions,
  type MessageSet,
} from '../commands/fetch.js';
import { compileFetchItems, type FetchItems } from '../commands/fetch-items.js';
import type { CommandContext } from '../connection/types.js';
import { ImapMessageLimitError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { messageLimit, withPartial } from '../commands/messagelimit.js';

/** The members of UID set `set` below `n`, null when none (or `$`, which cannot be narrowed). */
export function membersBelow(set: SequenceSet, n: number): SequenceSet | null {
  if (set.isSaved || n <= 1) return null;
  const parts: string[] = [];
  for (const [a, b] of set.ranges) {
    // A range to `*` reaches the largest UID, which the server processed first.
    if (a === '*' && b === '*') continue;
    const lo = a === '*' ? (b as number) : b === '*' ? a : Math.min(a, b);
    const hi = a === '*' || b === '*' ? Infinity : Math.max(a, b);
    if (lo >= n) continue;
    const top = Math.min(hi, n - 1);
    parts.push(lo === top ? String(lo) : `${lo}:${top}`);
  }
  return parts.length === 0 ? null : SequenceSet.parse(parts.join(','));
}

/**
 * A FETCH by sequence numbers in an empty mailbox: every number is invalid
 * there (the server answers BAD, RFC 9051 9 seq-number), and no message can
 * match, so nothing is sent. The range and items are still checked (their
 * errors come as they would otherwise); `$` (SEARCHRES) is sent.
 */
function emptyBySequence(
  ctx: CommandContext,
  range: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): boolean {
  if (options.uid === true || ctx.selected?.exists !== 0) return false;
  const set = SequenceSet.from(range);
  compileFetchItems(items);
  return !set.isSaved;
}

async function* nothing(): AsyncGenerator<FetchedMessage, void, undefined> {}

/**
 * The FETCH command's iterator over `range`, continued past MESSAGELIMIT
 * cuts as described above (UID FETCH only). Without the MESSAGELIMIT
 * capability it is the command's own iterator: no generator in between
 * (a promise and a resumption per message on a 100,000-message FETCH).
 */
export function fetchPastMessageLimit(
  ctx: CommandContext,
  range: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): AsyncIterableIterator<FetchedMessage> {
  if (emptyBySequence(ctx, range, items, options)) return nothing();
  if (options.uid !== true || messageLimit(ctx) === null) {
    return fetchCommand(ctx, range, items, options);
  }
  return continuedFetch(ctx, range, items, options);
}

/** {@link fetchPastMessageLimit} on a server announcing MESSAGELIMIT. */
async function* continuedFetch(
  ctx: CommandContext,
  range: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): AsyncGenerator<FetchedMessage, void, undefined> {
  let set = SequenceSet.from(range);
  for (;;) {
    let delivered = 0;
    try {
      for await (const m of fetchCommand(ctx, set, items, options)) {
        delivered++;
        yield m;
      }
      return;
    } catch (err) {
      const rest = continuation(err, set, delivered);
      if (rest === null) return; // everything asked for was processed
      set = rest;
    }
  }
}

/**
 * Where a FETCH cut by MESSAGELIMIT goes on: the UIDs of `set` below the
 * cut, or null when there are none. Rethrows `err` when it is not such a
 * cut, or when continuing cannot be right: `$` (cannot be narrowed), or a
 * round that delivered no message (a server cutting without progress would
 * otherwise be followed down the whole UID range).
 */
function continuation(err: unknown, set: SequenceSet, delivered: number): SequenceSet | null {
  if (!(err instanceof ImapMessageLimitError) || err.lowestUid === null) throw err;
  if (set.isSaved || delivered === 0) throw err;
  const rest = membersBelow(set, err.lowestUid);
  if (rest !== null && rest.toString() === set.toString()) throw err;
  return rest;
}

/** {@link fetchPastMessageLimit} collected into an array (the command's fetchAll, once per cut). */
export async function fetchAllPastMessageLimit(
  ctx: CommandContext,
  range: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): Promise<FetchedMessage[]> {
  if (emptyBySequence(ctx, range, items, options)) return [];
  if (options.uid !== true) return fetchAllCommand(ctx, range, items, options);
  let set = SequenceSet.from(range);
  const out: FetchedMessage[] = [];
  for (;;) {
    try {
      for (const m of await fetchAllCommand(ctx, set, items, options)) out.push(m);
      return out;
    } catch (err) {
      if (!(err instanceof ImapMessageLimitError)) throw err;
      const got = err.partial as FetchedMessage[];
      for (const m of got) out.push(m);
      let rest: SequenceSet | null;
      try {
        rest = continuation(err, set, got.length);
      } catch {
        throw withPartial(err, out);
      }
      if (rest === null) return out;
      set = rest;
    }
  }
}
