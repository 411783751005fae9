import type { CommandContext } from '../connection/types.js';
import type { ResponseCode } from '../model/response-code.js';
import type { SequenceSet } from '../model/sequence-set.js';
import { mailbox, seq } from '../wire/args.js';
import type { MessageSet } from './fetch.js';
import { refuseSequenceNumbers } from './capability.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { checkMessageLimit } from './messagelimit.js';

/** `[COPYUID uidvalidity source destination]` (RFC 4315 3 UIDPLUS, RFC 9051 7.1). */
export interface CopyUid {
  /** UIDVALIDITY of the destination mailbox. */
  uidValidity: number;
  /** The source UIDs, in the order matching `destination`. */
  source: SequenceSet;
  /** The UIDs the copies got in the destination. */
  destination: SequenceSet;
}

/** Options of {@link copy}. */
export interface CopyOptions extends LongCommandOptions {
  /** UID COPY: `set` holds UIDs. */
  uid?: boolean;
}

/** The COPYUID of a response code, or null. @internal */
export function copyUidOf(code: ResponseCode | null | undefined): CopyUid | null {
  if (code?.name !== 'COPYUID') return null;
  return { uidValidity: code.uidValidity, source: code.source, destination: code.destination };
}

/**
 * COPY / UID COPY (RFC 9051 6.4.7 and 6.4.9, RFC 3501 6.4.7; no capability):
 * copies the messages to `destination` (a Unicode mailbox name). Returns the
 * COPYUID mapping when the server sends one (UIDPLUS, RFC 4315, or
 * IMAP4rev2), else null. A missing destination fails with ImapProtocolError
 * whose responseCode is TRYCREATE. UID COPY is pipelined; COPY by sequence
 * numbers is not (RFC 9051 5.5).
 */
export async function copy(
  ctx: CommandContext,
  set: MessageSet,
  destination: string,
  options: CopyOptions = {},
): Promise<CopyUid | null> {
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'COPY');
  const result = await ctx.exec(uid ? 'UID COPY' : 'COPY', [seq(set), mailbox(destination)], {
    pipeline: uid,
    ...longCommandOptions(options),
  });
  checkMessageLimit(result, () => null);
  return copyUidOf(result.tagged.code);
}
