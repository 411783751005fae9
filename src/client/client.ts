/**
 * ImapClient: the typed, high-level face of imapkit. It composes one
 * {@link ImapConnection} (replaced on reconnection) with the command modules
 * of `src/commands`; it adds mailbox locks, events, automatic IDLE and
 * automatic reconnection with QRESYNC resynchronisation, and no protocol
 * logic of its own.
 */
import { EventEmitter } from 'node:events';
import {
  append,
  appendMany,
  type AppendManyItem,
  type AppendManyResult,
  type AppendMessage,
  type AppendOptions,
  type AppendResult,
} from '../commands/append.js';
import { copy, type CopyUid } from '../commands/copy.js';
import { create, type CreateOptions, type CreateResult } from '../commands/create.js';
import { deleteMailbox } from '../commands/delete.js';
import type { ExpungeResult } from '../commands/expunge.js';
import {
  fetchOne as fetchOneCommand,
  type FetchedMessage,
  type MessageSet,
} from '../commands/fetch.js';
import type { FetchItems } from '../commands/fetch-items.js';
import { getJmapAccess } from '../commands/jmapaccess.js';
import { list, type ListOptions, type ListReturn, type MailboxEntry } from '../commands/list.js';
import { lsub } from '../commands/lsub.js';
import { sameMailbox } from '../commands/mailbox-name.js';
import { move, type MoveResult } from '../commands/move.js';
import { noop } from '../commands/noop.js';
import { getQuotaRoot, type QuotaRootResult } from '../commands/quota.js';
import { rename } from '../commands/rename.js';
import type { SearchContext } from '../commands/context.js';
import type { ESearchResult } from '../commands/esearch.js';
import type { ESortResult } from '../commands/esort.js';
import type { SortCriterion } from '../commands/sort.js';
import { search as searchCommand } from '../commands/search.js';
import type { SearchQuery } from '../commands/search-query.js';
import { status, type StatusItem, type StatusResult } from '../commands/status.js';
import type { StoreResult } from '../commands/store.js';
import { subscribe, unsubscribe } from '../commands/subscribe.js';
import { unselect } from '../commands/unselect.js';
import { close as closeMailbox } from '../commands/close.js';
import { ImapConnection } from '../connection/connection.js';
import { safeLog } from '../connection/logging.js';
import type { CommandContext } from '../connection/types.js';
import { ImapConnectionError, ImapError, ImapStateError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import { followConnection, type ConnectionFollower } from './connection-events.js';
import { fetchAllPastMessageLimit, fetchPastMessageLimit } from './message-limit.js';
import { download, type DownloadOptions, type DownloadResult } from './download.js';
import {
  clientESearch,
  clientESort,
  clientSearchContext,
  clientSortContext,
  type ClientContextOptions,
  type ClientESearchOptions,
  type ClientESortOptions,
} from './esearch.js';
import { buildMailboxTree, type ListTreeOptions, type MailboxTreeNode } from './mailbox-tree.js';
import type { ClientEvents, MailboxInfo } from './events.js';
import { HeldIterator } from './held-iterator.js';
import { IdleController } from './idle.js';
import {
  LockQueue,
  releaseWhenDone,
  type MailboxLock,
  type MailboxOpenOptions,
} from './mailbox-lock.js';
import {
  byUid,
  deleteMessages,
  fetchOptions,
  storeFlags,
  type ClientFetchOptions,
  type ClientMoveOptions,
  type DeleteOptions,
  type FlagChange,
  type FlagOptions,
  type MessageOptions,
} from './messages.js';
import {
  connectOptions,
  resolveReconnect,
  type ClientOptions,
  type ResolvedReconnect,
} from './options.js';
import { HEALTHY_CONNECTION_MS, ReadyGate, reconnect } from './reconnect.js';
import { MailboxUpdateLog, UidTracker } from './uid-tracker.js';
import {
  applyUpdates,
  mailboxInfo,
  resync,
  selectTracked,
  uidSnapshot,
  type ResyncOutcome,
  type SyncState,
} from './resync.js';

/** A UID map and how many removals it had applied (see UidTracker.removals). */
interface TrackerMark {
  tracker: UidTracker;
  removals: number;
}

/** The STATUS items asked for by default. */
const DEFAULT_STATUS_ITEMS: readonly StatusItem[] = [
  'MESSAGES',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
];

type Phase = 'new' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A high-level IMAP client.
 *
 * ```ts
 * const client = await ImapClient.connect({ host, auth: { username, password } });
 * const lock = await client.getMailboxLock('INBOX');
 * try {
 *   for await (const m of client.fetch('1:*', { envelope: true })) console.log(m.uid, m.envelope?.subject);
 * } finally {
 *   lock.release();
 * }
 * await client.logout();
 * ```
 *
 * **Locks.** A connection has one selected mailbox. Work on a mailbox
 * between `await getMailboxLock(path)` and `lock.release()`; other tasks
 * asking for a lock (on any mailbox) wait in order. Message operations
 * (fetch, search, flags, copy, move, delete, download) act on the selected
 * mailbox: called while nobody holds a lock (or while a lock is still
 * being granted) they queue for the lock and hold it for their own
 * duration; called while a lock is held they run at once, on the holder's
 * mailbox — meant for the holder (the client cannot tell callers apart:
 * other tasks should take a lock). Mailbox-level commands (list, status,
 * create, append...) need no lock. Locks also pause automatic IDLE.
 *
 * **Reconnection.** When the connection drops unexpectedly the client
 * reconnects with exponential backoff and jitter, logs in, ENABLEs again,
 * re-selects the mailbox that was selected — with QRESYNC when possible —
 * and emits `resync` with what vanished and what changed meanwhile (or
 * `uidValidityChange`). Commands that were in flight when the connection
 * dropped reject with ImapConnectionError: they are not replayed, because
 * the server may have executed them before the drop (a STORE, an APPEND or
 * a MOVE sent twice is not the same as once), and only the caller knows
 * whether repeating is safe. Commands issued while reconnecting wait for
 * the new connection (up to `reconnect.waitTimeoutMs`) and then run.
 * A held lock stays held across a reconnection: its mailbox is selected
 * again before its next command runs.
 */
export class ImapClient extends EventEmitter<ClientEvents> {
  readonly #options: ClientOptions;
  readonly #reconnect: ResolvedReconnect;
  #phase: Phase = 'new';
  #conn: ImapConnection | null = null;
  #connecting: Promise<void> | null = null;
  #gate: ReadyGate<ImapConnection> | null = null;
  /** logout() or close() was called. */
  #closing = false;
  readonly #stop = new AbortController();
  #detach: (() => void) | null = null;
  /** The selected mailbox as the client tracks it (kept while reconnecting, for the resync). */
  #sync: SyncState | null = null;
  /**
   * A new state for the selected mailbox is being built on `conn` (SELECT
   * and UID snapshot, or a resync): its updates go to `log`, applied when
   * the state is installed. Meanwhile `#sync` is left alone: during a
   * resync it is the state saved before the drop, which nothing the new
   * session says may change until the resync commits (a failed attempt must
   * leave it as it was).
   */
  #staging: { conn: ImapConnection; log: MailboxUpdateLog } | null = null;
  /**
   * While reconnecting: what {@link ImapClient.mailbox} reports, the
   * selected mailbox as the dropped session last knew it, until a resync
   * installs the new state (a new or failed session's values must not
   * show before that).
   */
  #frozen: MailboxInfo | null = null;
  /**
   * When the last reconnection succeeded (null: none yet): a drop within
   * {@link HEALTHY_CONNECTION_MS} of it is a quick drop.
   */
  #lastReconnectAt: number | null = null;
  /** Quick drops in a row (see #onConnectionClose): where the next reconnection's attempts start. */
  #quickDrops = 0;
  readonly #locks: LockQueue;
  readonly #idle: IdleController;
  /** What followConnection() calls back (bound once: it runs per untagged response). */
  readonly #follower: ConnectionFollower = {
    syncFor: this.#syncFor.bind(this),
    stagingFor: (conn) => (this.#staging?.conn === conn ? this.#staging.log : null),
    emit: this.#emitSafe.bind(this),
    onClose: (conn, err) => this.#onConnectionClose(conn, err),
    onUidValidity: (conn, previous, current) => this.#onUidValidity(conn, previous, current),
    onInconsistent: (conn, reason) => this.#onInconsistent(conn, reason),
  };

  /** Creates a client; nothing happens until {@link ImapClient.connect}. */
  constructor(options: ClientOptions) {
    super();
    this.#options = { ...options };
    this.#reconnect = resolveReconnect(options.reconnect);
    this.#locks = new LockQueue({
      onBusy: () => this.#idle.pause(),
      onFree: () => this.#idle.kick(),
    });
    this.#idle = new IdleController(
      {
        connection: () => (this.#phase === 'ready' ? this.#conn : null),
        locked: () => this.#locks.held,
        onError: (err) => this.#reportError(err),
      },
      options.autoIdle === true,
    );
  }

  /** Creates a client and connects it. */
  static async connect(options: ClientOptions): Promise<ImapClient> {
    const client = new ImapClient(options);
    await client.connect();
    return client;
  }

  // ------------------------------------------------------------------
  // Connection lifecycle

  /**
   * Connects, logs in (`auth`), ENABLEs CONDSTORE/QRESYNC (and `enable`)
   * when offered. Rejects with the connection's typed error; the first
   * connection is not retried.
   */
  async connect(): Promise<void> {
    if (this.#phase === 'connecting') return this.#connecting!;
    if (this.#phase !== 'new') throw new ImapStateError(`connect() when ${this.#phase}`);
    this.#phase = 'connecting';
    this.#connecting = (async () => {
      try {
        const conn = await this.#openConnection();
        if (this.#closing) {
          conn.close();
          throw this.#closedError();
        }
        this.#use(conn);
        this.#phase = 'ready';
        this.#idle.kick();
      } catch (err) {
        this.#phase = 'closed';
        this.#idle.dispose();
        throw err;
      }
    })();
    return this.#connecting;
  }

  /** LOGOUT and close for good (no reconnection). Never rejects. */
  async logout(): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#closing = true;
    this.#stop.abort();
    this.#idle.dispose();
    const conn = this.#conn;
    if (conn !== null && !conn.closed && this.#phase === 'ready') await conn.logout();
    this.#finish(null);
  }

  /** Closes the connection now, without LOGOUT; pending commands reject. Idempotent. */
  close(): void {
    if (this.#phase === 'closed') return;
    this.#closing = true;
    this.#stop.abort();
    this.#finish(null);
  }

  /** Connected (or reconnecting) and not closed. */
  get usable(): boolean {
    return this.#phase === 'ready' || this.#phase === 'reconnecting';
  }

  /** The client is reconnecting after a drop. */
  get reconnecting(): boolean {
    return this.#phase === 'reconnecting';
  }

  /** The server's capabilities (empty before connecting). */
  get capabilities(): ReadonlySet<string> {
    return this.#conn?.capabilities ?? new Set();
  }

  /** Extensions the server ENABLEd (CONDSTORE, QRESYNC, ...). */
  get enabled(): ReadonlySet<string> {
    return this.#conn?.enabled ?? new Set();
  }

  /**
   * The current connection (replaced on reconnection), for what the client
   * does not cover; prefer {@link ImapClient.command}.
   */
  get connection(): ImapConnection | null {
    return this.#conn;
  }

  /**
   * The selected mailbox, or null. While the client reconnects, the mailbox
   * as it was before the drop, until the `resync` (or `uidValidityChange`)
   * event.
   */
  get mailbox(): MailboxInfo | null {
    const frozen = this.#frozen;
    if (frozen !== null) {
      const { flags, permanentFlags } = frozen;
      return {
        ...frozen,
        flags: [...flags],
        permanentFlags: permanentFlags && [...permanentFlags],
      };
    }
    return this.#sync === null ? null : mailboxInfo(this.#sync, this.#conn?.selected ?? null);
  }

  /** True while IDLE runs on the connection. */
  get idling(): boolean {
    return this.#idle.idling;
  }

  /**
   * Runs `fn` with the current connection as a CommandContext, after any
   * reconnection: the way to use any function of `src/commands` through the
   * client, e.g. `client.command((ctx) => sort(ctx, ...))`. Not replayed
   * when the connection drops, and not serialized with mailbox locks (take
   * one first when `fn` depends on the selected mailbox).
   */
  async command<T>(fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
    return fn(await this.#ready());
  }

  // ------------------------------------------------------------------
  // Mailboxes

  /**
   * Waits for the mailbox lock, then selects `path` (EXAMINE with
   * `readOnly`) unless it is already selected that way. Release the lock in
   * a `finally`. Locks are not re-entrant: asking again before releasing
   * waits forever.
   */
  async getMailboxLock(path: string, options: MailboxOpenOptions = {}): Promise<MailboxLock> {
    // Pending until its mailbox is selected: operations issued meanwhile
    // cannot come from this holder (it is still waiting), so they queue.
    const release = await this.#locks.acquire(options.signal, true);
    const readOnly = options.readOnly === true;
    try {
      await this.#ensureMailbox(path, readOnly, false);
    } catch (err) {
      release();
      throw err;
    }
    this.#locks.markReady();
    return { path, readOnly, release };
  }

  /**
   * Selects `path` (EXAMINE with `readOnly`) and returns what the server
   * reported. Takes the lock for the duration when nobody holds it.
   */
  async mailboxOpen(path: string, options: MailboxOpenOptions = {}): Promise<MailboxInfo> {
    return this.#exclusive(
      async () => {
        await this.#ensureMailbox(path, options.readOnly === true, true);
        return this.mailbox!;
      },
      { needsMailbox: false, signal: options.signal },
    );
  }

  /** Leaves the selected mailbox (UNSELECT, or CLOSE without UNSELECT — which expunges). */
  async mailboxClose(): Promise<void> {
    await this.#exclusive(
      async (conn) => {
        if (conn.selected === null) return;
        if (conn.hasCapability('UNSELECT') || conn.hasCapability('IMAP4rev2')) await unselect(conn);
        else await closeMailbox(conn);
        this.#setMailbox(null);
      },
      { needsMailbox: false },
    );
  }

  /** LIST `reference` `pattern` (default `*`): the mailboxes, names decoded. */
  async list(
    pattern = '*',
    options: ListOptions & { reference?: string } = {},
  ): Promise<MailboxEntry[]> {
    const { reference, ...rest } = options;
    return list(await this.#ready(), reference ?? '', pattern, rest);
  }

  /**
   * The mailbox hierarchy as a tree, from one LIST `""` `pattern` (default
   * `*`): the delimiter is the server's; parents missing from the answer
   * but implied by a child's name are included as non-selectable nodes
   * (`listed: false`); children are sorted, INBOX first. With LIST-EXTENDED
   * (or IMAP4rev2) the LIST asks for CHILDREN and, when the server has
   * SPECIAL-USE, SPECIAL-USE. `subscribed: true` marks subscribed mailboxes
   * (RETURN (SUBSCRIBED), or an LSUB where LIST-EXTENDED is missing).
   * `metadata: ['/shared/comment']` asks for those metadata entries of each
   * mailbox in the same LIST (LIST-METADATA, RFC 9590), found in each
   * node's `entry.metadata`.
   *
   * ```ts
   * const print = (nodes: MailboxTreeNode[], depth = 0): void => {
   *   for (const n of nodes) {
   *     console.log('  '.repeat(depth) + n.displayName, n.specialUse ?? '');
   *     print(n.children, depth + 1);
   *   }
   * };
   * print(await client.listTree());
   * ```
   */
  async listTree(options: ListTreeOptions = {}): Promise<MailboxTreeNode[]> {
    const conn = await this.#ready();
    const pattern = options.pattern ?? '*';
    const extended = conn.hasCapability('LIST-EXTENDED') || conn.hasCapability('IMAP4rev2');
    const ret: ListReturn = {};
    if (extended) {
      ret.children = true;
      if (conn.hasCapability('SPECIAL-USE') || conn.hasCapability('IMAP4rev2')) {
        ret.specialUse = true;
      }
      if (options.subscribed === true) ret.subscribed = true;
    }
    // LIST-METADATA (RFC 9590): each node's `entry.metadata`; list() checks the capability.
    if (options.metadata !== undefined) ret.metadata = options.metadata;
    const asked = extended || ret.metadata !== undefined;
    const entries = await list(conn, '', pattern, asked ? { return: ret } : {});
    if (options.subscribed === true && !extended) {
      const subscribed = new Set((await lsub(conn, '', pattern)).map((e) => e.name));
      for (const e of entries) if (subscribed.has(e.name)) e.subscribed = true;
    }
    return buildMailboxTree(entries);
  }

  /**
   * GETJMAPACCESS (RFC 9698, capability JMAPACCESS): the URL of the JMAP
   * session resource serving the same mailstore (ImapCapabilityError on a
   * server without JMAPACCESS, before anything is sent).
   */
  async jmapAccess(): Promise<string> {
    return getJmapAccess(await this.#ready());
  }

  /** STATUS of a mailbox (default items MESSAGES UIDNEXT UIDVALIDITY UNSEEN), without selecting it. */
  async status(
    path: string,
    items: readonly StatusItem[] = DEFAULT_STATUS_ITEMS,
  ): Promise<StatusResult> {
    return status(await this.#ready(), path, items);
  }

  /** CREATE. */
  async mailboxCreate(path: string, options: CreateOptions = {}): Promise<CreateResult> {
    return create(await this.#ready(), path, options);
  }

  /** DELETE. */
  async mailboxDelete(path: string): Promise<void> {
    await deleteMailbox(await this.#ready(), path);
  }

  /** RENAME. */
  async mailboxRename(from: string, to: string): Promise<void> {
    await rename(await this.#ready(), from, to);
  }

  /** SUBSCRIBE. */
  async subscribe(path: string): Promise<void> {
    await subscribe(await this.#ready(), path);
  }

  /** UNSUBSCRIBE. */
  async unsubscribe(path: string): Promise<void> {
    await unsubscribe(await this.#ready(), path);
  }

  /**
   * APPEND a message (Buffer, string, or `{ stream, size }`) to `path`;
   * returns its UID when the server reports it (UIDPLUS). Not replayed after
   * a drop: the message may have been stored.
   */
  async append(
    path: string,
    message: AppendMessage,
    options: AppendOptions = {},
  ): Promise<AppendResult | null> {
    const conn = await this.#ready();
    const mark = this.#trackerMark();
    const r = await append(conn, path, message, options);
    if (r !== null) this.#learnUids(conn, path, r.uidValidity, [r.uid], mark);
    return r;
  }

  /**
   * APPENDs several messages to `path`: in one command, atomically, when the
   * server offers MULTIAPPEND (RFC 3502), else one by one. Returns their UIDs
   * in the order given when the server reports them all (UIDPLUS), else
   * null. Not replayed after a drop.
   */
  async appendMany(
    path: string,
    messages: readonly AppendManyItem[],
  ): Promise<AppendManyResult | null> {
    const conn = await this.#ready();
    const mark = this.#trackerMark();
    const r = await appendMany(conn, path, messages);
    if (r !== null) this.#learnUids(conn, path, r.uidValidity, r.uids, mark);
    return r;
  }

  /** GETQUOTAROOT (capability QUOTA): the quota roots of `path` and their usage and limits. */
  async quota(path: string): Promise<QuotaRootResult> {
    return getQuotaRoot(await this.#ready(), path);
  }

  /** NOOP: lets the server report changes (events). */
  async noop(): Promise<void> {
    await noop(await this.#ready());
  }

  // ------------------------------------------------------------------
  // IDLE

  /**
   * Keeps the connection in IDLE (RFC 2177) whenever no lock is held and no
   * command runs, until {@link ImapClient.stopIdle}; events (`exists`,
   * `expunge`, `flags`...) then arrive as they happen. Commands issued
   * meanwhile end IDLE themselves (DONE) and IDLE resumes when the client
   * is quiet again, also after a reconnection. Resolves once IDLE runs (or
   * right away when a lock defers it). A server ending IDLE with a refusal
   * later is reported through the `error` event, and IDLE is tried again
   * after a delay (as with `autoIdle`).
   */
  async idle(): Promise<void> {
    await this.#ready();
    await this.#idle.start();
  }

  /** Stops idling (DONE) — also the automatic IDLE of the `autoIdle` option. */
  async stopIdle(): Promise<void> {
    await this.#idle.stop();
  }

  // ------------------------------------------------------------------
  // Messages (in the selected mailbox)

  /**
   * FETCH as an async iterator: each message is yielded as it arrives. UIDs
   * by default (`{ uid: false }` for sequence numbers). Other commands may
   * be issued inside the loop (a STORE per message, say). Breaking out of
   * the loop discards the rest; the connection stays usable. Without a held
   * lock the loop holds one until it ends: finish or break the loop.
   * A UID FETCH the server cuts short with `OK [MESSAGELIMIT n uid]`
   * (MESSAGELIMIT, RFC 9738) is continued on the UIDs below `uid` until
   * every message was fetched; by sequence numbers the cut is an
   * ImapMessageLimitError after the messages fetched. By sequence numbers
   * in an empty mailbox (where any number is invalid and the server would
   * answer BAD) nothing is sent and nothing yielded.
   */
  fetch(
    range: MessageSet,
    items: FetchItems,
    options: ClientFetchOptions = {},
  ): AsyncIterableIterator<FetchedMessage> {
    return new HeldIterator(async () => {
      const release = await this.#enter(options.signal);
      try {
        const conn = await this.#selectedConnection();
        const iterator = fetchPastMessageLimit(conn, range, items, fetchOptions(options, true));
        return { iterator, release };
      } catch (err) {
        release();
        throw err;
      }
    });
  }

  /** {@link ImapClient.fetch}, collected into an array (continued past MESSAGELIMIT cuts the same way). */
  async fetchAll(
    range: MessageSet,
    items: FetchItems,
    options: ClientFetchOptions = {},
  ): Promise<FetchedMessage[]> {
    return this.#exclusive((conn) =>
      fetchAllPastMessageLimit(conn, range, items, fetchOptions(options, false)),
    );
  }

  /** One message by UID (or sequence number with `{ uid: false }`); null when there is none. */
  async fetchOne(
    id: number,
    items: FetchItems,
    options: MessageOptions = {},
  ): Promise<FetchedMessage | null> {
    return this.#exclusive((conn) => fetchOneCommand(conn, id, items, byUid(options)));
  }

  /**
   * Streams a message (`part` '') or one of its sections (`1`, `2.1`,
   * `TEXT`...) with meta data from its body structure, in one round trip
   * (one FETCH of the BODYSTRUCTURE and the part, whose literal flows from
   * the socket into `content`; no chunked partial fetches). With `maxBytes`
   * only the first bytes are fetched (a partial FETCH) and `meta.truncated`
   * says whether there were more. The lock (explicit or implicit) is held
   * until `content` ends or is destroyed — consume or destroy it. The
   * whole message's meta is `message/rfc822` with no `encoding` (its bytes
   * are headers and encoded body); see `DownloadMeta`. A message or part
   * that does not exist rejects with ImapArgumentError (`ARGUMENT`).
   */
  async download(id: number, part = '', options: DownloadOptions = {}): Promise<DownloadResult> {
    const release = await this.#enter(options.signal);
    try {
      const conn = await this.#selectedConnection();
      const result = await download(conn, id, part, options);
      releaseWhenDone(result.content, release);
      return result;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** SEARCH: the matching UIDs (or sequence numbers with `{ uid: false }`), ascending as sent. */
  async search(
    query: SearchQuery,
    options: MessageOptions & { charset?: string } = {},
  ): Promise<number[]> {
    return this.#exclusive(async (conn) => {
      const by = byUid(options);
      const mark = this.#trackerMark();
      const r = await searchCommand(conn, query, {
        ...by,
        ...(options.charset === undefined ? {} : { charset: options.charset }),
      });
      const numbers = r.numbers ?? [];
      if (by.uid) this.#learnUids(conn, null, null, numbers, mark);
      return numbers;
    });
  }

  /**
   * SEARCH with result options (RFC 4731 ESEARCH): what `return` asks for —
   * `MIN`, `MAX`, `COUNT`, `ALL` (the default) — as one typed object, with
   * ALL as a {@link SequenceSet} of ranges (never expanded); UIDs unless
   * `{ uid: false }`. Sent as `UID SEARCH RETURN (...)` when the server has
   * ESEARCH or IMAP4rev2; without, MIN/MAX/COUNT/ALL are computed from a
   * plain SEARCH (same result, but every match crosses the wire), and SAVE
   * or `partial` throw ImapCapabilityError.
   *
   * ```ts
   * const r = await client.esearch({ seen: false }, { return: ['MIN', 'MAX', 'COUNT'] });
   * console.log(r.count, r.min, r.max);
   * ```
   */
  async esearch(query: SearchQuery, options: ClientESearchOptions = {}): Promise<ESearchResult> {
    return this.#exclusive((conn) => clientESearch(conn, query, options), {
      signal: options.signal,
    });
  }

  /**
   * SORT with result options (RFC 5267 3, ESORT): MIN (the first message in
   * sort order), MAX (the last), COUNT, ALL (the default; a
   * {@link SequenceSet} in sort order, never expanded: list it with
   * `commands.sortedMembers`); UIDs unless `{ uid: false }`. Without ESORT
   * the same result is computed from a plain SORT; `partial` needs
   * CONTEXT=SORT.
   *
   * ```ts
   * const r = await client.esort([{ reverse: 'DATE' }], { seen: false }, { return: ['COUNT', 'ALL'] });
   * console.log(r.count, r.all?.toString());
   * ```
   */
  async esort(
    criteria: readonly SortCriterion[],
    query: SearchQuery,
    options: ClientESortOptions = {},
  ): Promise<ESortResult> {
    return this.#exclusive((conn) => clientESort(conn, criteria, query, options), {
      signal: options.signal,
    });
  }

  /**
   * A live search (RFC 5267 4.3, capability CONTEXT=SEARCH): `UID SEARCH
   * RETURN (ALL UPDATE)`, resolving to a {@link SearchContext} with the
   * initial `result`; `for await` over it yields the server's ADDTO /
   * REMOVEFROM updates (buffered from the start, none lost), which the
   * server sends at its next mailbox sync — the client's automatic IDLE, a
   * NOOP, or any other command. The lock is held only for the initial
   * command. The context lives as long as its mailbox stays selected on
   * this connection: a lock selecting another mailbox ends it (the loop
   * ends, `endReason` `'mailbox'`), a reconnection ends it with the
   * connection's error; `cancel()` (or leaving the loop) sends CANCELUPDATE.
   *
   * ```ts
   * const live = await client.searchContext({ seen: false });
   * console.log(live.result.all?.toString());
   * for await (const u of live) {
   *   for (const c of u.updates) console.log(c.op, c.set.toString()); // ADDTO 0 42, REMOVEFROM 0 7
   * }
   * ```
   */
  async searchContext(
    query: SearchQuery,
    options: ClientContextOptions = {},
  ): Promise<SearchContext<ESearchResult>> {
    return this.#exclusive((conn) => clientSearchContext(conn, query, options), {
      signal: options.signal,
    });
  }

  /**
   * A live sort (RFC 5267 4.3, capability CONTEXT=SORT), as
   * {@link ImapClient.searchContext}, with updates at positions in the
   * sort order (`commands.applyContextUpdates` applies them).
   */
  async sortContext(
    criteria: readonly SortCriterion[],
    query: SearchQuery,
    options: ClientContextOptions = {},
  ): Promise<SearchContext<ESortResult>> {
    return this.#exclusive((conn) => clientSortContext(conn, criteria, query, options), {
      signal: options.signal,
    });
  }

  /** Adds flags (`+FLAGS`). */
  messageFlagsAdd(
    range: MessageSet,
    flags: readonly string[],
    options: FlagOptions = {},
  ): Promise<StoreResult> {
    return this.#store(range, { add: flags }, options);
  }

  /** Removes flags (`-FLAGS`). */
  messageFlagsRemove(
    range: MessageSet,
    flags: readonly string[],
    options: FlagOptions = {},
  ): Promise<StoreResult> {
    return this.#store(range, { remove: flags }, options);
  }

  /** Replaces the flags (`FLAGS`). */
  messageFlagsSet(
    range: MessageSet,
    flags: readonly string[],
    options: FlagOptions = {},
  ): Promise<StoreResult> {
    return this.#store(range, { set: flags }, options);
  }

  /** COPY to `destination`; the COPYUID mapping when the server sends it. */
  async messageCopy(
    range: MessageSet,
    destination: string,
    options: MessageOptions = {},
  ): Promise<CopyUid | null> {
    return this.#exclusive(async (conn) => {
      const mark = this.#trackerMark();
      const r = await copy(conn, range, destination, byUid(options));
      if (r !== null) this.#learnCopied(conn, destination, r, mark);
      return r;
    });
  }

  /**
   * MOVE to `destination`, emulated where MOVE is missing: COPY, then UID
   * EXPUNGE of exactly those messages (UIDPLUS); without UIDPLUS either, a
   * plain EXPUNGE, which is refused unless `allowExpungeAll`.
   */
  async messageMove(
    range: MessageSet,
    destination: string,
    options: ClientMoveOptions = {},
  ): Promise<MoveResult> {
    const moveOptions = { ...byUid(options), allowExpungeAll: options.allowExpungeAll === true };
    return this.#exclusive(async (conn) => {
      const mark = this.#trackerMark();
      const r = await move(conn, range, destination, moveOptions);
      if (r.copyUid !== null) this.#learnCopied(conn, destination, r.copyUid, mark);
      return r;
    });
  }

  /**
   * Deletes messages: `\Deleted`, then UID EXPUNGE of exactly those (UIDPLUS),
   * leaving other `\Deleted` messages alone. Without UIDPLUS a plain EXPUNGE
   * is needed, which is refused unless `allowExpungeAll`.
   */
  async messageDelete(range: MessageSet, options: DeleteOptions = {}): Promise<ExpungeResult> {
    return this.#exclusive((conn) => deleteMessages(conn, range, options));
  }

  // ------------------------------------------------------------------
  // Internals: readiness, locks, mailbox state

  #store(range: MessageSet, change: FlagChange, options: FlagOptions): Promise<StoreResult> {
    return this.#exclusive((conn) => storeFlags(conn, range, change, options));
  }

  /** The ready connection, waiting for a reconnection when one is under way. */
  #ready(): Promise<ImapConnection> {
    switch (this.#phase) {
      case 'ready':
        return Promise.resolve(this.#conn!);
      case 'reconnecting':
        return this.#gate!.wait(this.#reconnect.waitTimeoutMs);
      case 'connecting':
        return this.#connecting!.then(() => this.#ready());
      case 'new':
        return Promise.reject(new ImapStateError('not connected: call connect() first'));
      case 'closed':
        return Promise.reject(this.#closedError());
    }
  }

  /** The ready connection with a mailbox selected. */
  async #selectedConnection(): Promise<ImapConnection> {
    const conn = await this.#ready();
    if (conn.selected === null || this.#sync === null) {
      throw new ImapStateError(
        'no mailbox is selected: take a lock with getMailboxLock() (or call mailboxOpen()) first',
      );
    }
    return conn;
  }

  /**
   * Enters a message operation: takes the lock when nobody holds it
   * (released by the returned function), else runs within the holder's
   * lock — except while a lock is being granted (its mailbox selected): its
   * holder is still waiting for getMailboxLock(), so the caller is someone
   * else and queues.
   */
  async #enter(signal?: AbortSignal): Promise<() => void> {
    if (this.#locks.holderActive) return () => undefined;
    return this.#locks.acquire(signal);
  }

  async #exclusive<T>(
    fn: (conn: ImapConnection) => Promise<T>,
    options: { needsMailbox?: boolean; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const release = await this.#enter(options.signal);
    try {
      const conn =
        options.needsMailbox === false ? await this.#ready() : await this.#selectedConnection();
      return await fn(conn);
    } finally {
      release();
    }
  }

  /**
   * Makes `path` the selected mailbox in the mode asked for. A drop while
   * selecting is retried on the new connection (SELECT is idempotent).
   */
  async #ensureMailbox(path: string, readOnly: boolean, force: boolean): Promise<void> {
    for (;;) {
      const conn = await this.#ready();
      const sync = this.#sync;
      if (
        !force &&
        sync !== null &&
        conn.selected !== null &&
        sameMailbox(sync.path, path) &&
        sameMailbox(conn.selected.name, path) &&
        sync.readOnly === readOnly
      ) {
        return;
      }
      try {
        await this.#openMailbox(conn, path, readOnly);
        return;
      } catch (err) {
        if (err instanceof ImapConnectionError && this.#phase === 'reconnecting') continue;
        throw err;
      }
    }
  }

  async #openMailbox(conn: ImapConnection, path: string, readOnly: boolean): Promise<void> {
    this.#setMailbox(null);
    const log = new MailboxUpdateLog(false);
    let state: SyncState;
    this.#staging = { conn, log };
    try {
      state = await selectTracked(conn, path, readOnly, this.#reconnect.enabled, log);
    } finally {
      if (this.#staging?.log === log) this.#staging = null;
    }
    applyUpdates(state, log, conn.selected);
    this.#setMailbox(state);
  }

  /** Replaces the tracked mailbox, emitting mailboxClose / mailboxOpen. */
  #setMailbox(state: SyncState | null): void {
    const prev = this.#sync;
    this.#sync = state;
    this.#frozen = null;
    if (prev !== null) this.#emitSafe('mailboxClose', { path: prev.path });
    if (state !== null) {
      const info = this.mailbox;
      if (info !== null) this.#emitSafe('mailboxOpen', info);
      this.#idle.kick();
    }
  }

  // ------------------------------------------------------------------
  // Internals: connections and events

  #openConnection(): Promise<ImapConnection> {
    return ImapConnection.connect(connectOptions(this.#options));
  }

  /** Makes `conn` the client's connection and listens to it. */
  #use(conn: ImapConnection): void {
    this.#detach?.();
    this.#conn = conn;
    this.#detach = followConnection(conn, this.#follower);
  }

  /** The tracked mailbox when it is the one `conn` has selected (not while a SELECT runs). */
  #syncFor(conn: ImapConnection): SyncState | null {
    const sync = this.#sync;
    const sel = conn.selected;
    if (sync === null || sel === null || conn !== this.#conn || this.#staging !== null) return null;
    // Another mailbox selected behind the client's back (command(), connection): not ours.
    if (!sameMailbox(sel.name, sync.path)) return null;
    // What the server reported last, even when lower (a later resync asks
    // for the changes since the lower value, which includes the others).
    if (sel.highestModseq !== null) sync.highestModseq = sel.highestModseq;
    return sync;
  }

  /**
   * The server changed the selected mailbox's UIDVALIDITY mid-session
   * (RFC 9051 2.3.1.1): every UID the client knew of it is void. Emits
   * `uidValidityChange` and rebuilds the UID map from the server.
   */
  #onUidValidity(conn: ImapConnection, previous: number, current: number): void {
    const sync = this.#syncFor(conn);
    if (sync === null) return;
    sync.uidValidity = current;
    sync.uidNext = conn.selected?.uidNext ?? null;
    sync.maxUid = 0;
    // MODSEQs belong to a UIDVALIDITY too (RFC 7162 3.1.2.1): only later ones count.
    sync.highestModseq = null;
    const tracked = sync.tracker !== null;
    sync.tracker = null;
    this.#emitSafe('uidValidityChange', { path: sync.path, previous, current });
    if (tracked) void this.#retrack(conn, sync);
  }

  /**
   * The server sent mailbox data that cannot be right (EXISTS going down,
   * an EXPUNGE of a message that does not exist, a VANISHED of more
   * messages than there are): reported as an `error` (ImapError PROTOCOL),
   * and the UID map, which can no longer be trusted, is rebuilt.
   */
  #onInconsistent(conn: ImapConnection, reason: string): void {
    const path = conn.selected?.name;
    if (conn !== this.#conn || path === undefined) return;
    this.#reportError(
      new ImapError('PROTOCOL', `the server broke the protocol in ${path}: ${reason}`),
    );
    const sync = this.#syncFor(conn);
    if (sync?.tracker == null) return;
    sync.tracker = null;
    void this.#retrack(conn, sync);
  }

  /**
   * Builds `sync`'s UID map again from `UID SEARCH ALL` (meanwhile events
   * carry no UIDs, and the updates are applied to the new map). A failure
   * is reported as an `error` and leaves the client without a UID map
   * (events without UIDs), never waiting on anything.
   */
  async #retrack(conn: ImapConnection, sync: SyncState): Promise<void> {
    const log = new MailboxUpdateLog(false);
    this.#staging = { conn, log };
    let tracker: UidTracker;
    try {
      tracker = new UidTracker(await uidSnapshot(conn, log));
    } catch (err) {
      if (this.#staging?.log === log) this.#staging = null;
      // The connection or client went meanwhile: the reconnection resyncs.
      if (conn.closed || this.#phase === 'closed') return;
      this.#reportError(toError(err));
      return;
    }
    if (this.#staging?.log !== log) return; // a SELECT or resync took over
    this.#staging = null;
    if (this.#sync !== sync || this.#conn !== conn || conn.closed) return;
    const state = { ...sync, tracker, maxUid: Math.max(sync.maxUid, tracker.uids.at(-1) ?? 0) };
    applyUpdates(state, log, conn.selected);
    sync.tracker = tracker;
    sync.exists = state.exists;
    sync.maxUid = state.maxUid;
    sync.grown = state.grown;
  }

  /**
   * UIDs the client learned of the mailbox `path` (null: the selected one)
   * of UIDVALIDITY `uidValidity` (null: not said): when that is the tracked
   * mailbox, a resync covers them (maxUid), and the UID tracker may learn
   * the UIDs of messages it knew only by count: when `uids` are all the
   * UIDs the command reported and `mark` (taken before the command) shows
   * that no message was removed meanwhile (else the UIDs may belong to
   * other positions: only maxUid is raised).
   */
  #learnUids(
    conn: ImapConnection,
    path: string | null,
    uidValidity: number | null,
    uids: readonly number[],
    mark: TrackerMark | null,
  ): void {
    const sync = this.#syncFor(conn);
    if (sync === null || uids.length === 0) return;
    if (path !== null && !sameMailbox(path, sync.path)) return;
    if (uidValidity !== null && sync.uidValidity !== null && uidValidity !== sync.uidValidity) {
      return;
    }
    let max = 0;
    for (const u of uids) if (u > max) max = u;
    if (max > sync.maxUid) sync.maxUid = max;
    const tracker = sync.tracker;
    if (mark !== null && tracker === mark.tracker && tracker.removals === mark.removals) {
      tracker.learn(uids);
    }
  }

  /** The UID map and its removal count now, before a command whose UIDs it may learn. */
  #trackerMark(): TrackerMark | null {
    const tracker = this.#sync?.tracker ?? null;
    return tracker === null ? null : { tracker, removals: tracker.removals };
  }

  /** A COPYUID into `destination`: see {@link #learnUids}. */
  #learnCopied(
    conn: ImapConnection,
    destination: string,
    r: CopyUid,
    mark: TrackerMark | null,
  ): void {
    const sync = this.#syncFor(conn);
    if (sync === null || !sameMailbox(destination, sync.path)) return;
    // Listed only when they can be the tracker's unknown messages (no more than the mailbox holds).
    const size = r.destination.size;
    if (size !== null && size <= (conn.selected?.exists ?? 0)) {
      this.#learnUids(conn, destination, r.uidValidity, [...r.destination.values()], mark);
      return;
    }
    let max = 0;
    for (const [a, b] of r.destination.ranges) {
      for (const n of [a, b]) if (typeof n === 'number' && n > max) max = n;
    }
    this.#learnUids(conn, destination, r.uidValidity, [max], null);
  }

  #onConnectionClose(conn: ImapConnection, err: Error | null): void {
    if (conn !== this.#conn) return;
    this.#idle.connectionLost();
    // While connecting or reconnecting, the code that opened the connection handles it.
    if (this.#phase !== 'ready') return;
    // Remember the last MODSEQ the connection knew before it goes.
    this.#syncFor(conn);
    const reconnect = this.#reconnect.enabled && !this.#closing && err !== null;
    if (!reconnect) {
      if (err !== null && !this.#closing) {
        this.#emitSafe('disconnect', { error: err, reconnecting: false });
      }
      this.#finish(this.#closing ? null : err);
      return;
    }
    // Reconnecting before `disconnect` is emitted: commands its listeners
    // issue wait at the gate (not on the dead connection), and a listener
    // that calls close() or logout() fails the gate and ends the client.
    this.#frozen = this.mailbox;
    this.#phase = 'reconnecting';
    this.#gate = new ReadyGate();
    this.#emitSafe('disconnect', { error: err, reconnecting: true });
    if (this.#closing || this.#phase !== 'reconnecting') return; // a listener closed the client
    // Reconnections that do not last (dropped again at once, e.g. by a
    // proxy) are no success: the n-th in a row starts its attempts at n
    // (growing delay), so a server that lets the client in and drops it
    // every time is given up on after maxAttempts of them. The first such
    // drop starts afresh: one blip right after a long outage is retried.
    const last = this.#lastReconnectAt;
    const healthy = last === null || Date.now() - last >= HEALTHY_CONNECTION_MS;
    this.#quickDrops = healthy ? 0 : this.#quickDrops + 1;
    void this.#reconnectLoop(err, Math.max(1, this.#quickDrops));
  }

  #reconnectLoop(cause: Error, firstAttempt: number): Promise<void> {
    const wanted = (): boolean => !this.#closing && this.#phase === 'reconnecting';
    return reconnect(
      cause,
      this.#reconnect,
      this.#stop.signal,
      {
        wanted,
        open: () => this.#openConnection(),
        restore: async (conn) => {
          this.#use(conn);
          await this.#restore(conn);
        },
        reconnected: (conn, attempt) => {
          this.#phase = 'ready';
          this.#frozen = null;
          const gate = this.#gate;
          this.#gate = null;
          this.#lastReconnectAt = Date.now();
          this.#log('info', 'reconnected', { attempt });
          this.#emitSafe('reconnect', { attempt });
          gate?.open(conn);
          this.#idle.kick();
        },
        gaveUp: (error) => {
          this.#reportError(error);
          this.#finish(error);
        },
        log: (level, msg, obj) => this.#log(level, msg, obj),
      },
      firstAttempt,
    );
  }

  /** Re-selects the mailbox that was selected and reports what changed meanwhile. */
  async #restore(conn: ImapConnection): Promise<void> {
    const prev = this.#sync;
    if (prev === null) return;
    let outcome: ResyncOutcome;
    // Quiet: this session's EXISTS / EXPUNGE are reported by the resync event.
    const log = new MailboxUpdateLog(true);
    this.#staging = { conn, log };
    try {
      outcome = await resync(conn, prev, { trackUids: this.#reconnect.enabled, log });
    } finally {
      if (this.#staging?.log === log) this.#staging = null;
    }
    switch (outcome.kind) {
      case 'gone':
        this.#setMailbox(null);
        this.#reportError(outcome.error);
        return;
      case 'uidValidityChanged':
        applyUpdates(outcome.state, log, conn.selected);
        this.#sync = outcome.state;
        // The new state, fixed until `reconnected` (this attempt may still be
        // thrown away if its connection drops now).
        this.#frozen = mailboxInfo(outcome.state, conn.selected);
        this.#emitSafe('uidValidityChange', {
          path: prev.path,
          previous: outcome.previous,
          current: outcome.current,
        });
        this.#emitHeldFlags(log, outcome.state);
        return;
      case 'resynced': {
        // Expunged after the snapshot's data: in the snapshot, gone now.
        const gone = applyUpdates(outcome.state, log, conn.selected);
        const event = { ...outcome.event, count: outcome.state.exists };
        // And every VANISHED of this session (held back: quiet).
        const vanished = SequenceSet.union([
          event.vanished,
          gone.length > 0 ? SequenceSet.fromNumbers(gone) : null,
          log.vanished,
        ]);
        if (vanished !== null) {
          event.vanished = vanished;
          // A message that arrived and went during the resync is not `changed`.
          event.changed = event.changed.filter((m) => !vanished.has(m.uid));
        }
        this.#sync = outcome.state;
        this.#frozen = mailboxInfo(outcome.state, conn.selected); // as above
        this.#emitSafe('resync', event);
        this.#emitHeldFlags(log, outcome.state);
        return;
      }
    }
  }

  /** The flag changes a resync held back, after its event (UIDs filled in where tracked). */
  #emitHeldFlags(log: MailboxUpdateLog, state: SyncState): void {
    for (const e of log.heldFlags) {
      if (this.#phase === 'closed') return; // a listener closed the client
      const uid = e.uid ?? (e.seq > 0 ? state.tracker?.uidOf(e.seq) : undefined);
      this.#emitSafe('flags', uid === undefined ? e : { ...e, uid });
    }
  }

  /** Closes for good. */
  #finish(error: Error | null): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#closing = true;
    this.#stop.abort();
    this.#idle.dispose();
    const closed = error ?? this.#closedError();
    const gate = this.#gate;
    this.#gate = null;
    gate?.fail(
      error === null
        ? closed
        : new ImapConnectionError('CONNECTION_CLOSED', error.message, { cause: error }),
    );
    this.#locks.failWaiters(this.#closedError());
    const conn = this.#conn;
    this.#detach?.();
    this.#detach = null;
    if (conn !== null && !conn.closed) conn.close();
    this.#emitSafe('close', { error });
  }

  #closedError(): ImapConnectionError {
    return new ImapConnectionError('CONNECTION_CLOSED', 'the client is closed');
  }

  /** Emits `error` only when someone listens (an unheard `error` would throw). */
  #reportError(err: Error): void {
    this.#log('error', err.message, {});
    if (this.listenerCount('error') > 0) this.#emitSafe('error', err);
  }

  #emitSafe<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    try {
      (this.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.#log('error', `a '${String(event)}' listener threw: ${toError(err).message}`, {});
    }
  }

  #log(level: 'info' | 'warn' | 'error', msg: string, obj: object): void {
    safeLog(this.#options.logger, level, { client: true, ...obj }, msg);
  }
}
