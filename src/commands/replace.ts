import type { CommandContext } from '../connection/types.js';
import { SequenceSet } from '../model/sequence-set.js';
import { mailbox, seq } from '../wire/args.js';
import {
  appendUid,
  messageArgs,
  type AppendMessage,
  type AppendOptions,
  type AppendResult,
} from './append.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';

/** Options of {@link replace}. */
export interface ReplaceOptions extends AppendOptions {
  /** `id` is a UID (UID REPLACE) instead of a sequence number. */
  uid?: boolean;
}

/**
 * REPLACE / UID REPLACE (RFC 8508; capability REPLACE): atomically stores
 * `message` in mailbox `target` (Unicode) and expunges message `id` from the
 * selected mailbox — the "save a draft again" operation without a window in
 * which both or neither copy exists. Returns the new message's
 * `[APPENDUID]` (from the untagged OK the server sends, or the tagged OK),
 * or null when the server sent none.
 */
export async function replace(
  ctx: CommandContext,
  id: number,
  target: string,
  message: AppendMessage,
  options: ReplaceOptions = {},
): Promise<AppendResult | null> {
  requireCapability(ctx, 'REPLACE');
  if (options.uid !== true) refuseSequenceNumbers(ctx, 'REPLACE');
  const args = [
    seq(SequenceSet.from(id)),
    mailbox(target),
    ...messageArgs(ctx, { ...options, message }),
  ];
  const result = await ctx.exec(options.uid === true ? 'UID REPLACE' : 'REPLACE', args, {
    collect: ['OK'],
  });
  let code = result.tagged.code;
  for (const r of result.untagged) {
    if (r.name === 'OK' && r.code?.name === 'APPENDUID') code = r.code;
  }
  const uid = appendUid(code);
  return uid === null || uid.uids.length !== 1
    ? null
    : { uidValidity: uid.uidValidity, uid: uid.uids[0]! };
}
