/**
 * The message operations of ImapClient on the selected mailbox: their
 * options, which the client maps onto the command modules' (UIDs by
 * default), and the steps of a safe delete.
 * @internal
 */
import { expunge, type ExpungeResult } from '../commands/expunge.js';
import { fetchAll, type FetchOptions, type MessageSet } from '../commands/fetch.js';
import { store, type StoreResult } from '../commands/store.js';
import { uidExpunge } from '../commands/uid-expunge.js';
import { longCommandOptions, type LongCommandOptions } from '../commands/progress.js';
import type { CommandContext, CommandProgress } from '../connection/types.js';
import { ImapCapabilityError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';

/** Options of the message operations: `uid` (default true) says the set holds UIDs. */
export interface MessageOptions {
  /** The set holds UIDs (default true); false: sequence numbers. */
  uid?: boolean;
  /** Cancels the command: it rejects with an error of code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Told the server's progress reports for a long search, copy, move or
   * delete (`[INPROGRESS]`, RFC 9585, capability INPROGRESS): count and
   * total of the items done. Fetches report each message as it comes instead.
   */
  onProgress?: (progress: CommandProgress) => void;
}

/** Options of {@link ImapClient.fetch}. */
export interface ClientFetchOptions extends MessageOptions {
  /** Only messages whose MODSEQ is higher (CONDSTORE). */
  changedSince?: bigint;
  /** Messages buffered before the connection's reading pauses (default 256). */
  highWaterMark?: number;
}

/** Options of the flag operations. */
export interface FlagOptions extends MessageOptions {
  /** `.SILENT`: the server does not echo the new flags (default true). */
  silent?: boolean;
  /** Change only messages not modified since this MODSEQ (CONDSTORE); the others are in `modified`. */
  unchangedSince?: bigint;
}

/** Options of {@link ImapClient.messageDelete}. */
export interface DeleteOptions extends MessageOptions {
  /**
   * Without UIDPLUS the only way is `\Deleted` + a plain EXPUNGE, which also
   * removes every other message already marked `\Deleted`: refused unless true.
   */
  allowExpungeAll?: boolean;
}

/** Options of {@link ImapClient.messageMove}. */
export interface ClientMoveOptions extends MessageOptions {
  /**
   * Without MOVE and without UIDPLUS the only way is COPY, `\Deleted` and a
   * plain EXPUNGE, which also removes every other message already marked
   * `\Deleted`: refused unless true.
   */
  allowExpungeAll?: boolean;
}

/** The command modules' options for a message operation: UIDs unless `uid: false`, the signal and the progress callback. */
export function byUid(options: MessageOptions): { uid: boolean } & LongCommandOptions {
  return { uid: options.uid !== false, ...longCommandOptions(options) };
}

/** FETCH's options for `options`; `highWaterMark` only for a `streamed` fetch (the iterator). */
export function fetchOptions(options: ClientFetchOptions, streamed: boolean): FetchOptions {
  return {
    uid: options.uid !== false,
    ...(options.changedSince === undefined ? {} : { changedSince: options.changedSince }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(!streamed || options.highWaterMark === undefined
      ? {}
      : { highWaterMark: options.highWaterMark }),
  };
}

/** A change of flags: add, remove, or replace them. */
export interface FlagChange {
  add?: readonly string[];
  remove?: readonly string[];
  set?: readonly string[];
}

/** STORE of a flag change with the client's defaults (UIDs, `.SILENT`). */
export function storeFlags(
  conn: CommandContext,
  range: MessageSet,
  change: FlagChange,
  options: FlagOptions,
): Promise<StoreResult> {
  return store(conn, range, {
    ...change,
    uid: options.uid !== false,
    silent: options.silent !== false,
    ...(options.unchangedSince === undefined ? {} : { unchangedSince: options.unchangedSince }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/**
 * The steps of `ImapClient.messageDelete`: with UIDPLUS, `\Deleted` then UID
 * EXPUNGE of exactly those messages (pinned by UID first when given by
 * sequence number); without, `\Deleted` and a plain EXPUNGE, only when
 * `allowExpungeAll`.
 */
export async function deleteMessages(
  conn: CommandContext,
  range: MessageSet,
  options: DeleteOptions,
): Promise<ExpungeResult> {
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const long = longCommandOptions(options);
  const uidPlus = conn.hasCapability('UIDPLUS') || conn.hasCapability('IMAP4rev2');
  if (!uidPlus) {
    if (options.allowExpungeAll !== true) {
      throw new ImapCapabilityError(
        'UIDPLUS',
        'server lacks UIDPLUS: deleting would need a plain EXPUNGE, which also removes ' +
          'other messages marked \\Deleted; pass { allowExpungeAll: true } to accept that',
      );
    }
    await store(conn, range, {
      add: ['\\Deleted'],
      silent: true,
      uid: options.uid !== false,
      ...signal,
    });
    return expunge(conn, long);
  }
  let uids: SequenceSet;
  if (options.uid !== false) {
    uids = SequenceSet.from(range);
  } else {
    // Pin the messages by UID before anything can renumber them.
    const found = await fetchAll(conn, range, { uid: true }, signal);
    const list = found.map((m) => m.uid).filter((u): u is number => u !== undefined);
    if (list.length === 0) return { expunged: [], vanished: null };
    uids = SequenceSet.fromNumbers(list);
  }
  await store(conn, uids, { add: ['\\Deleted'], silent: true, uid: true, ...signal });
  return uidExpunge(conn, uids, long);
}
