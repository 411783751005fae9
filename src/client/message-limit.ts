/**
 * The client's answer to MESSAGELIMIT (RFC 9738): a UID FETCH the server
 * cut short with `OK [MESSAGELIMIT n uid]` (it processed the messages from
 * UID `uid` up, highest first) is continued on the UIDs of the set below
 * `uid`, until the server has processed them all. The server's error is
 * passed on where continuing cannot be right (a FETCH by sequence numbers,
 * `$`, no UID in the code, or a set the server made no progress on). Costs
 * nothing on a server without the limit: the error never comes.
 * @internal
 */
import {
  fetch as fetchCommand,
  fetchAll as fetchAllCommand,
  type FetchedMessage,
  type FetchOptions,
  type MessageSet,
} from '../commands/fetch.js';
import type { FetchItems } from '../commands/fetch-items.js';
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
    try {
      yield* fetchCommand(ctx, set, items, options);
      return;
    } catch (err) {
      if (!(err instanceof ImapMessageLimitError) || err.lowestUid === null) throw err;
      const rest = membersBelow(set, err.lowestUid);
      if (rest === null) return; // everything asked for was processed
      if (rest.toString() === set.toString()) throw err; // no progress: do not loop
      set = rest;
    }
  }
}

/** {@link fetchPastMessageLimit} collected into an array (the command's fetchAll, once per cut). */
export async function fetchAllPastMessageLimit(
  ctx: CommandContext,
  range: MessageSet,
  items: FetchItems,
  options: FetchOptions,
): Promise<FetchedMessage[]> {
  if (options.uid !== true) return fetchAllCommand(ctx, range, items, options);
  let set = SequenceSet.from(range);
  const out: FetchedMessage[] = [];
  for (;;) {
    try {
      for (const m of await fetchAllCommand(ctx, set, items, options)) out.push(m);
      return out;
    } catch (err) {
      if (!(err instanceof ImapMessageLimitError) || err.lowestUid === null) throw err;
      for (const m of err.partial as FetchedMessage[]) out.push(m);
      const rest = membersBelow(set, err.lowestUid);
      if (rest === null) return out;
      if (rest.toString() === set.toString()) throw withPartial(err, out);
      set = rest;
    }
  }
}
