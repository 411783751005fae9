import type { CommandContext, CommandResult } from '../connection/types.js';
import { SequenceSet } from '../model/sequence-set.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { refuseReadOnly } from './read-only.js';

/** What an expunge removed. */
export interface ExpungeResult {
  /**
   * `* n EXPUNGE` sequence numbers in the order sent (each relative to the
   * mailbox after the previous ones were removed, RFC 9051 7.5.1).
   */
  expunged: number[];
  /**
   * With QRESYNC or UIDONLY (RFC 9586) enabled the server reports UIDs
   * instead (`* VANISHED`); null when none were sent.
   */
  vanished: SequenceSet | null;
}

/** Folds EXPUNGE and VANISHED responses. @internal */
export function foldExpunged(result: CommandResult): ExpungeResult {
  const out: ExpungeResult = { expunged: [], vanished: null };
  // One set from every VANISHED, built once: joining the set so far per
  // response was quadratic (10,000 one-UID responses took seconds).
  const vanished: SequenceSet[] = [];
  for (const r of result.untagged) {
    if (r.name === 'EXPUNGE') out.expunged.push(r.number);
    else if (r.name === 'VANISHED' && !r.earlier) vanished.push(r.uids);
  }
  out.vanished = SequenceSet.union(vanished);
  return out;
}

/**
 * EXPUNGE (RFC 9051 6.4.3, RFC 3501 6.4.3; no capability): permanently
 * removes every message with `\Deleted` in the selected mailbox. Returns
 * the expunged sequence numbers, or, when QRESYNC is enabled, the UIDs from
 * `* VANISHED` (RFC 7162 3.2.10; always with UIDONLY, RFC 9586). Never
 * pipelined: it renumbers messages. `onProgress` hears the server's
 * INPROGRESS reports (RFC 9585). Throws ImapStateError before sending in a
 * mailbox selected read-only.
 */
export async function expunge(
  ctx: CommandContext,
  options: LongCommandOptions = {},
): Promise<ExpungeResult> {
  refuseReadOnly(ctx, 'EXPUNGE');
  const result = await ctx.exec('EXPUNGE', [], {
    collect: ['EXPUNGE', 'VANISHED'],
    ...longCommandOptions(options),
  });
  return foldExpunged(result);
}
