import type { CommandContext } from '../connection/types.js';
import { ImapCapabilityError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { mailbox, seq } from '../wire/args.js';
import { copy, copyUidOf, type CopyUid } from './copy.js';
import { expunge, foldExpunged } from './expunge.js';
import { fetchAll, type MessageSet } from './fetch.js';
import { store } from './store.js';
import { uidExpunge } from './uid-expunge.js';
import { refuseSequenceNumbers } from './capability.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { refuseReadOnly } from './read-only.js';
import { checkMessageLimit } from './messagelimit.js';

/** Options of {@link move}. */
export interface MoveOptions extends LongCommandOptions {
  /** UID MOVE: `set` holds UIDs. */
  uid?: boolean;
  /**
   * Without MOVE and without UIDPLUS the only fallback is COPY + STORE
   * `\Deleted` + plain EXPUNGE, which also removes every other message
   * already marked `\Deleted` in the mailbox. Refused unless this is true.
   */
  allowExpungeAll?: boolean;
}

/** The result of {@link move}. */
export interface MoveResult {
  /** COPYUID: where the messages went (null when the server sent none). */
  copyUid: CopyUid | null;
  /** Sequence numbers of the `* n EXPUNGE` responses. */
  expunged: number[];
  /** UIDs from `* VANISHED` (QRESYNC enabled), null when none were sent. */
  vanished: SequenceSet | null;
  /** True when MOVE was emulated with COPY + STORE + (UID) EXPUNGE. */
  emulated: boolean;
}

/**
 * MOVE / UID MOVE (RFC 6851 3; capability MOVE; RFC 9051 6.4.8 in
 * IMAP4rev2): moves the messages to `destination` (a Unicode mailbox name)
 * atomically. The COPYUID mapping comes from the untagged OK the server
 * sends before the expunges, or from the tagged OK.
 *
 * Without MOVE the move is emulated, not atomically (a failure half-way can
 * leave copies in both mailboxes; nothing is lost):
 * - with UIDPLUS: (for sequence numbers, first `FETCH (UID)` to pin the
 *   messages) `UID COPY`, `UID STORE +FLAGS.SILENT (\Deleted)` and
 *   `UID EXPUNGE` of exactly those UIDs, so other `\Deleted` messages stay;
 * - without UIDPLUS: (for sequence numbers, first `FETCH (UID)` to pin the
 *   messages) `UID COPY`, `UID STORE +FLAGS.SILENT (\Deleted)` and a plain
 *   `EXPUNGE` — which also expunges any other `\Deleted` message in the
 *   mailbox, so this is refused with ImapCapabilityError (nothing sent)
 *   unless `allowExpungeAll` is true.
 *
 * Never pipelined: it expunges. In a mailbox selected read-only (EXAMINE,
 * or SELECT answered `[READ-ONLY]`) it throws ImapStateError before
 * sending anything, native or emulated (RFC 9051 6.3.3; Dovecot performs a
 * MOVE from an EXAMINEd mailbox); COPY stays allowed there.
 */
export async function move(
  ctx: CommandContext,
  set: MessageSet,
  destination: string,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const uid = options.uid === true;
  if (!uid) refuseSequenceNumbers(ctx, 'MOVE');
  refuseReadOnly(ctx, uid ? 'UID MOVE' : 'MOVE');
  const messages = SequenceSet.from(set);
  const dest = mailbox(destination);
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const long = longCommandOptions(options);

  if (ctx.hasCapability('MOVE') || ctx.hasCapability('IMAP4rev2')) {
    const result = await ctx.exec(uid ? 'UID MOVE' : 'MOVE', [seq(messages), dest], {
      collect: ['OK', 'EXPUNGE', 'VANISHED'],
      ...long,
    });
    let copyUid: CopyUid | null = null;
    for (const r of result.untagged) {
      if (r.name === 'OK') copyUid ??= copyUidOf(r.code);
    }
    copyUid ??= copyUidOf(result.tagged.code);
    const out: MoveResult = { copyUid, ...foldExpunged(result), emulated: false };
    checkMessageLimit(result, () => out);
    return out;
  }

  const uidPlus = ctx.hasCapability('UIDPLUS');
  if (!uidPlus && options.allowExpungeAll !== true) {
    throw new ImapCapabilityError(
      'MOVE',
      'server lacks MOVE and UIDPLUS: emulating MOVE would need a plain EXPUNGE, which also ' +
        'removes other messages marked \\Deleted; pass { allowExpungeAll: true } to accept that',
    );
  }

  let uids: SequenceSet;
  const hasStar = messages.ranges.some(([a, b]) => a === '*' || b === '*');
  if (uid && !hasStar) {
    uids = messages;
  } else {
    // Pin the messages by UID before anything can renumber them: the server
    // may send EXPUNGE during COPY (RFC 9051 7.5.1), after which the same
    // sequence numbers would name other messages; and `*` (also in a UID
    // set) would take in a message that arrives between COPY and STORE,
    // which the STORE would mark and the EXPUNGE delete, never copied.
    const found = await fetchAll(ctx, messages, { uid: true }, { ...signal, uid });
    const list = found.map((m) => m.uid).filter((u): u is number => u !== undefined);
    if (list.length === 0) return { copyUid: null, expunged: [], vanished: null, emulated: true };
    uids = SequenceSet.fromNumbers(list);
  }

  if (!uidPlus) {
    const copyUid = await copy(ctx, uids, destination, { uid: true, ...long });
    await store(ctx, uids, { add: ['\\Deleted'], silent: true, uid: true, ...signal });
    return { copyUid, ...(await expunge(ctx, long)), emulated: true };
  }

  const copyUid = await copy(ctx, uids, destination, { uid: true, ...long });
  // COPYUID names exactly the UIDs that were copied (a range may have had
  // gaps), but only UIDs that were asked for are deleted: a COPYUID naming
  // others (`1:4294967295`) is not followed, or a hostile server would have
  // us expunge messages that were never copied.
  const copied = copyUid !== null && within(copyUid.source, uids) ? copyUid.source : uids;
  await store(ctx, copied, { add: ['\\Deleted'], silent: true, uid: true, ...signal });
  return { copyUid, ...(await uidExpunge(ctx, copied, long)), emulated: true };
}

/** Sorted, merged [lo, hi] bounds of a set's ranges, `*` as Infinity. */
function bounds(set: SequenceSet): Array<[number, number]> {
  const pairs = set.ranges.map(([a, b]): [number, number] => {
    const x = a === '*' ? Infinity : a;
    const y = b === '*' ? Infinity : b;
    return x <= y ? [x, y] : [y, x];
  });
  pairs.sort((p, q) => p[0] - q[0]);
  const out: Array<[number, number]> = [];
  for (const p of pairs) {
    const last = out[out.length - 1];
    if (last !== undefined && p[0] <= last[1] + 1) last[1] = Math.max(last[1], p[1]);
    else out.push(p);
  }
  return out;
}

/** True when every member of `inner` is in `outer` (`*` standing for any number up to the largest). */
function within(inner: SequenceSet, outer: SequenceSet): boolean {
  if (inner.isSaved || outer.isSaved) return false;
  const out = bounds(outer);
  for (const [lo, hi] of bounds(inner)) {
    // The last outer range starting at or before lo must reach hi.
    let a = 0;
    let b = out.length - 1;
    let found = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (out[mid]![0] <= lo) {
        found = mid;
        a = mid + 1;
      } else {
        b = mid - 1;
      }
    }
    if (found === -1 || out[found]![1] < hi) return false;
  }
  return true;
}
