/**
 * Search and sort contexts (RFC 5267 4, capabilities CONTEXT=SEARCH and
 * CONTEXT=SORT): `SEARCH RETURN (... UPDATE)` / `SORT RETURN (... UPDATE)`
 * returns the result now and keeps it up to date with unsolicited
 * `* ESEARCH (TAG "x") ADDTO (...) REMOVEFROM (...)` responses until
 * `CANCELUPDATE "x"` (4.3.5) or until the mailbox is no longer selected.
 */
import type {
  CommandContext,
  CorrelatedReceiver,
  CorrelatingContext,
} from '../connection/types.js';
import {
  ImapArgumentError,
  ImapConnectionError,
  ImapLimitError,
  ImapStateError,
} from '../model/errors.js';
import type { ContextUpdate, UntaggedOf, UntaggedResponse } from '../model/response.js';
import { str } from '../wire/args.js';
import type { CommandArg } from '../wire/command-arg.js';
import { refuseSequenceNumbers, requireCapability } from './capability.js';
import {
  foldESearch,
  returnOptionsArgs,
  type ESearchResult,
  type SearchReturnOption,
} from './esearch.js';
import {
  esortArgs,
  foldESort,
  sortedMembers,
  type ESortResult,
  type SortReturnOption,
} from './esort.js';
import { longCommandOptions, type LongCommandOptions } from './progress.js';
import { prepareSearchProgram, type SearchQuery } from './search-query.js';
import type { SortCriterion } from './sort.js';

/** One update of a context: the ADDTO / REMOVEFROM pairs of one ESEARCH response. */
export interface SearchUpdate {
  /** The numbers are UIDs (the context came from UID SEARCH / UID SORT). */
  uid: boolean;
  /** The changes, in the order they must be applied (RFC 5267 4.3.2). */
  updates: readonly ContextUpdate[];
}

/** Why a context stopped updating. */
export type ContextEnd =
  /** cancel() (CANCELUPDATE) or leaving its loop. */
  | 'cancelled'
  /** The mailbox is no longer selected (RFC 5267 4.3). */
  | 'mailbox'
  /** The server refused to update it: `* NO [NOUPDATE "tag"]` (RFC 5267 4.3.1). */
  | 'refused'
  /** The connection closed. */
  | 'closed'
  /** More than `maxBuffered` updates, or more than `maxBufferedBytes` of them, waited for the consumer. */
  | 'limit';

/** Options common to {@link searchContext} and {@link sortContext}. */
export interface ContextOptions extends LongCommandOptions {
  /**
   * UID SEARCH / UID SORT: results and updates are UIDs (default false, as
   * in the other commands). Once UIDONLY is enabled (RFC 9586) a context
   * without it fails with ImapUidRequiredError before anything is sent.
   */
  uid?: boolean;
  /** The CHARSET of the search keys. */
  charset?: string;
  /**
   * PARTIAL range of the initial result (RFC 5267 4.4): `1:100`. Updates
   * still cover every match (RFC 5267 4.3: no interaction).
   */
  partial?: string;
  /**
   * Updates kept for a consumer that does not read them (default 10,000
   * responses); past it the context ends with ImapLimitError (code LIMIT)
   * and CANCELUPDATE is sent: nothing is dropped silently.
   */
  maxBuffered?: number;
  /**
   * Size of the updates kept for a consumer that does not read them
   * (default 16 MiB), since one update can carry a huge set: estimated from
   * their content, about what they take in memory (72 bytes per range of
   * their sets, never expanded, 128 per ADDTO/REMOVEFROM, 64 per response),
   * the update arriving included. Past it the context ends as past
   * `maxBuffered`. `Infinity` turns it off.
   */
  maxBufferedBytes?: number;
  /**
   * Cancels the initial command: it rejects with an error of code
   * `ABORTED`. When it was already sent, CANCELUPDATE follows its tagged
   * response, so the server does not keep the context.
   */
  signal?: AbortSignal;
}

/** Options of {@link searchContext}. */
export interface SearchContextOptions extends ContextOptions {
  /**
   * The initial result's options (default `['ALL']`; Dovecot sends no
   * initial data for `RETURN (UPDATE)` alone).
   */
  return?: readonly SearchReturnOption[];
}

/** Options of {@link sortContext}. */
export interface SortContextOptions extends ContextOptions {
  /** The initial result's options (default `['ALL']`). */
  return?: readonly SortReturnOption[];
}

const DEFAULT_MAX_BUFFERED = 10_000;
const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** What one buffered update counts toward `maxBufferedBytes` (see ContextOptions). */
function updateBytes(updates: readonly ContextUpdate[]): number {
  let bytes = 64;
  for (const u of updates) bytes += 128 + 72 * u.set.ranges.length;
  return bytes;
}

/**
 * A live search or sort context (RFC 5267 4.3): the initial `result`, then
 * its updates, iterated with `for await`. Updates are buffered from the
 * moment the command is sent, so none is lost before the loop starts. The
 * loop ends when the context ends: {@link cancel} (breaking out of the loop
 * cancels too), the mailbox is no longer selected, or the server refused to
 * update it ({@link refused}); it throws when the connection closed or
 * more than `maxBuffered` updates (or `maxBufferedBytes` of them) waited.
 * Updates already received are yielded first in every case.
 *
 * For a SEARCH or SORT (not UID) context the numbers are sequence numbers,
 * which later EXPUNGEs shift (RFC 5267 4.3.4 sends REMOVEFROM before the
 * EXPUNGE); UID contexts avoid that.
 */
export class SearchContext<
  R extends ESearchResult | ESortResult,
> implements AsyncIterable<SearchUpdate> {
  /** SEARCH or SORT. */
  readonly command: 'SEARCH' | 'SORT';
  /** The numbers are UIDs. */
  readonly uid: boolean;
  #tag = '';
  #result: R | undefined;
  #endReason: ContextEnd | null = null;

  readonly #ctx: CommandContext;
  readonly #maxBuffered: number;
  readonly #maxBufferedBytes: number;
  readonly #queue: SearchUpdate[] = [];
  #queuedBytes = 0;
  #error: Error | null = null;
  #waiters: (() => void)[] = [];
  #unregister: (() => void) | null = null;
  #cancelling: Promise<void> | null = null;

  /** @internal Built by {@link searchContext} / {@link sortContext}. */
  constructor(
    ctx: CommandContext,
    command: 'SEARCH' | 'SORT',
    uid: boolean,
    maxBuffered: number,
    maxBufferedBytes: number = DEFAULT_MAX_BUFFERED_BYTES,
  ) {
    this.#ctx = ctx;
    this.command = command;
    this.uid = uid;
    this.#maxBuffered = maxBuffered;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** The tag of the command that opened the context (its correlator, named by CANCELUPDATE). */
  get tag(): string {
    return this.#tag;
  }

  /** What the command returned (the initial result). */
  get result(): R {
    return this.#result!;
  }

  /** Why the context ended; null while it may still be updated. */
  get endReason(): ContextEnd | null {
    return this.#endReason;
  }

  /** @internal Set by the command once its tag is assigned and once it completed. */
  opened(tag: string | null, result?: R): void {
    if (tag !== null) this.#tag = tag;
    if (result !== undefined) this.#result = result;
  }

  /** The server refused to keep this context updated (`NOUPDATE`); `result` is still valid. */
  get refused(): boolean {
    return this.endReason === 'refused';
  }

  /** Updates received and not yet consumed. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** What the updates received and not yet consumed count toward `maxBufferedBytes`. */
  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  /** @internal Where the connection delivers the context's ESEARCH responses. */
  readonly receiver: CorrelatedReceiver = {
    response: (r) => this.push(r),
    end: (error) => this.finish(error === null ? 'mailbox' : 'closed', error),
  };

  /** @internal Queues an update response (ignores ESEARCH data without ADDTO/REMOVEFROM). */
  push(r: UntaggedOf<'ESEARCH'>): void {
    if (this.endReason !== null || r.updates === undefined || r.updates.length === 0) return;
    const bytes = updateBytes(r.updates);
    let error: ImapLimitError | null = null;
    if (this.#queue.length >= this.#maxBuffered) {
      error = new ImapLimitError(
        'contextUpdates',
        `${this.#queue.length} updates of the context ${this.tag} were not consumed; ` +
          'it was cancelled (raise maxBuffered, or read the updates)',
      );
    } else if (this.#queuedBytes + bytes > this.#maxBufferedBytes) {
      error = new ImapLimitError(
        'contextUpdateBytes',
        `the updates of the context ${this.tag} not consumed would take about ` +
          `${this.#queuedBytes + bytes} bytes, over maxBufferedBytes ${this.#maxBufferedBytes}; ` +
          'it was cancelled (raise maxBufferedBytes, or read the updates)',
      );
    }
    if (error !== null) {
      // Not from inside the connection's dispatch of this response.
      queueMicrotask(() => void this.#sendCancel().catch(() => undefined));
      this.finish('limit', error);
      return;
    }
    this.#queue.push({ uid: r.uid, updates: r.updates });
    this.#queuedBytes += bytes;
    this.#notify();
  }

  /** @internal Ends the context (first reason wins); buffered updates stay readable. */
  finish(reason: ContextEnd, error: Error | null = null): void {
    if (this.#endReason !== null) return;
    this.#endReason = reason;
    this.#error = error;
    this.#unregister?.();
    this.#unregister = null;
    this.#notify();
  }

  /**
   * @internal The opening command was sent but failed here (aborted, over
   * its collection limit): the server may keep the context, so it ends and
   * CANCELUPDATE is sent, its failure ignored. Not pipelined, it goes out
   * after the command's tagged response.
   */
  abandon(): void {
    if (this.#endReason !== null) return;
    void this.#sendCancel().catch(() => undefined);
    this.finish('cancelled');
  }

  /** @internal Remembers how to stop the connection's routing. */
  attach(unregister: () => void): void {
    this.#unregister = unregister;
  }

  /**
   * Stops the updates: `CANCELUPDATE "tag"` (RFC 5267 4.3.5), unless the
   * context already ended. Updates received before are still yielded.
   */
  async cancel(): Promise<void> {
    if (this.endReason !== null) return this.#cancelling ?? undefined;
    const sending = this.#sendCancel();
    this.finish('cancelled');
    await sending;
  }

  #sendCancel(): Promise<void> {
    this.#cancelling ??= cancelUpdate(this.#ctx, [this.tag]);
    return this.#cancelling;
  }

  #notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The next update; done once the context ended and its buffered updates were read. */
  async next(): Promise<IteratorResult<SearchUpdate, undefined>> {
    for (;;) {
      const u = this.#queue.shift();
      if (u !== undefined) {
        this.#queuedBytes -= updateBytes(u.updates);
        return { value: u, done: false };
      }
      if (this.endReason !== null) {
        const error = this.#error;
        this.#error = null;
        if (error !== null) throw error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
      });
    }
  }

  /** Iterates the updates (see {@link SearchContext}); leaving the loop early cancels the context. */
  [Symbol.asyncIterator](): AsyncIterator<SearchUpdate, undefined> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.cancel().catch(() => undefined);
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * Applies a context's updates to its result list (RFC 5267 4.3.3, 4.3.4),
 * in order, and returns the new list (the input is not changed). ADDTO at
 * position n inserts the set so that its first member lands at position n;
 * at position 0 each member goes where it belongs in an ascending (mailbox
 * order) list. REMOVEFROM at position n removes the set starting there; at
 * position 0, or when the list does not hold the member at that place,
 * wherever it is. For a sort context start from `sortedMembers(result.all)`,
 * for a search context from the ascending members of `result.all`. Costs
 * about (list length × changed members): meant for the small updates
 * servers send, not for rebuilding a huge result.
 */
export function applyContextUpdates(
  list: readonly number[],
  updates: readonly ContextUpdate[],
): number[] {
  const out = [...list];
  for (const u of updates) {
    const members = sortedMembers(u.set);
    if (u.op === 'ADDTO') {
      if (u.position > 0) {
        // No splice(i, 0, ...members): spreading a large set overflows the stack.
        const tail = out.splice(Math.min(u.position - 1, out.length));
        for (const n of members) out.push(n);
        for (const n of tail) out.push(n);
        continue;
      }
      for (const n of members) {
        let lo = 0;
        let hi = out.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (out[mid]! < n) lo = mid + 1;
          else hi = mid;
        }
        if (out[lo] !== n) out.splice(lo, 0, n);
      }
      continue;
    }
    let at = u.position - 1;
    for (const n of members) {
      if (at >= 0 && out[at] === n) {
        out.splice(at, 1);
        continue;
      }
      const i = out.indexOf(n);
      if (i !== -1) out.splice(i, 1);
      at = -1;
    }
  }
  return out;
}

function maxBufferedOf(options: ContextOptions): number {
  const max = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  if (!Number.isInteger(max) || max < 1) {
    throw new ImapArgumentError(`maxBuffered must be a positive integer, not ${String(max)}`);
  }
  return max;
}

function maxBufferedBytesOf(options: ContextOptions): number {
  const max = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  if (typeof max !== 'number' || !(max > 0) || (!Number.isInteger(max) && max !== Infinity)) {
    throw new ImapArgumentError(
      `maxBufferedBytes must be a positive integer or Infinity, not ${String(max)}`,
    );
  }
  return max;
}

/**
 * The opening command failed here after it may have been sent: aborted, or
 * over its collection limit (rejected at its tagged response). Errors from
 * the server (NO, BAD) or the connection closing need no CANCELUPDATE.
 */
function failedLocally(err: unknown): boolean {
  return err instanceof ImapConnectionError && (err.code === 'ABORTED' || err.code === 'LIMIT');
}

/**
 * Sends the command and wires the context; the initial ESEARCH is folded by
 * `fold`. A command sent and then failing here (aborted, over its
 * collection limit) is followed by CANCELUPDATE.
 */
async function open<R extends ESearchResult | ESortResult>(
  ctx: CorrelatingContext,
  handle: SearchContext<R>,
  args: CommandArg[],
  pipeline: boolean,
  fold: (responses: UntaggedOf<'ESEARCH'>[], uid: boolean) => R,
  options: LongCommandOptions,
): Promise<SearchContext<R>> {
  if (typeof (ctx as Partial<CorrelatingContext>).correlate !== 'function') {
    throw new ImapStateError('this connection cannot route context updates (no correlate())');
  }
  if (!handle.uid) refuseSequenceNumbers(ctx, handle.command);
  // A command rejected before it is queued (already aborted) gets no tag
  // (onTag is not called), so no CANCELUPDATE. (One aborted while still
  // queued behind other commands cannot be told apart from one sent: it
  // gets a CANCELUPDATE the server answers with NO or BAD, ignored.)
  const initial: UntaggedOf<'ESEARCH'>[] = [];
  let refused = false;
  const onUntagged = (r: UntaggedResponse): boolean => {
    if (r.name === 'NO') {
      if (r.code?.name !== 'NOUPDATE' || r.code.tag !== handle.tag) return false;
      refused = true;
      return true;
    }
    if (r.name !== 'ESEARCH' || (r.tag !== null && r.tag !== handle.tag)) return false;
    if (r.updates !== undefined) handle.push(r);
    else if (r.tag === null && initial.length > 0) return false;
    else initial.push(r);
    return true;
  };
  const name = handle.uid ? `UID ${handle.command}` : handle.command;
  try {
    await ctx.exec(name, args, {
      collect: ['ESEARCH', 'NO'],
      pipeline,
      onTag: (tag) => {
        handle.opened(tag);
        handle.attach(ctx.correlate(tag, handle.receiver));
      },
      onUntagged,
      ...longCommandOptions(options),
    });
  } catch (err) {
    // The CANCELUPDATE is queued before the caller sees the error, so it
    // precedes whatever the caller sends next (a SELECT...).
    if (handle.tag !== '' && failedLocally(err)) handle.abandon();
    else handle.finish('closed');
    throw err;
  }
  handle.opened(null, fold(initial, handle.uid));
  if (refused) handle.finish('refused');
  return handle;
}

/**
 * SEARCH / UID SEARCH RETURN (... UPDATE) (RFC 5267 4.3; capability
 * CONTEXT=SEARCH; the result options as in `esearch`): the initial result,
 * kept up to date by the server until `cancel()` or until the mailbox is
 * no longer selected.
 *
 * What Dovecot 2.3 sends: `ADDTO (0 uids)` after a message arrives or
 * starts matching and `REMOVEFROM (0 uids)` when one stops matching (a flag
 * change) or before its EXPUNGE, always with position 0, at its next
 * mailbox sync: a NOOP, IDLE, or the end of another command.
 *
 * ```ts
 * const live = await searchContext(conn, { seen: false }, { uid: true });
 * console.log(live.result.all?.toString());
 * for await (const u of live) for (const c of u.updates) console.log(c.op, c.set.toString());
 * ```
 */
export async function searchContext(
  ctx: CorrelatingContext,
  query: SearchQuery,
  options: SearchContextOptions = {},
): Promise<SearchContext<ESearchResult>> {
  requireCapability(ctx, 'CONTEXT=SEARCH');
  const maxBuffered = maxBufferedOf(options);
  const maxBufferedBytes = maxBufferedBytesOf(options);
  const ret = options.return ?? (options.partial === undefined ? ['ALL'] : []);
  const returnArgs = returnOptionsArgs(ctx, {
    command: 'SEARCH',
    options: ret,
    partial: options.partial,
    update: true,
  });
  const program = prepareSearchProgram(
    ctx,
    query,
    options.charset === undefined ? {} : { charset: options.charset },
  );
  const uid = options.uid === true;
  const saves = ret.some((o) => typeof o === 'string' && o.toUpperCase() === 'SAVE');
  const handle = new SearchContext<ESearchResult>(
    ctx,
    'SEARCH',
    uid,
    maxBuffered,
    maxBufferedBytes,
  );
  return open(
    ctx,
    handle,
    [...returnArgs, ...program.args],
    uid && program.pipelineSafe && !saves,
    foldESearch,
    options,
  );
}

/**
 * SORT / UID SORT RETURN (... UPDATE) (RFC 5267 4.3; capability
 * CONTEXT=SORT): the initial sorted result (as `esort`), kept up to date
 * with ADDTO / REMOVEFROM at positions in the sort order. Dovecot 2.3 does
 * not announce CONTEXT=SORT, so this throws ImapCapabilityError there.
 */
export async function sortContext(
  ctx: CorrelatingContext,
  criteria: readonly SortCriterion[],
  query: SearchQuery,
  options: SortContextOptions = {},
): Promise<SearchContext<ESortResult>> {
  requireCapability(ctx, 'CONTEXT=SORT');
  const maxBuffered = maxBufferedOf(options);
  const maxBufferedBytes = maxBufferedBytesOf(options);
  const ret = options.return ?? (options.partial === undefined ? ['ALL'] : []);
  const { args, pipelineSafe } = esortArgs(
    ctx,
    criteria,
    query,
    { options: ret, partial: options.partial, update: true },
    options.charset,
  );
  const uid = options.uid === true;
  const handle = new SearchContext<ESortResult>(ctx, 'SORT', uid, maxBuffered, maxBufferedBytes);
  return open(ctx, handle, args, uid && pipelineSafe, foldESort, options);
}

/**
 * CANCELUPDATE "tag" ... (RFC 5267 4.3.5; capability CONTEXT=SEARCH or
 * CONTEXT=SORT): stops the updates of the contexts opened by the commands
 * tagged `tags`. `SearchContext.cancel()` sends it for one context.
 */
export async function cancelUpdate(ctx: CommandContext, tags: readonly string[]): Promise<void> {
  requireCapability(ctx, 'CONTEXT=SEARCH', 'CONTEXT=SORT');
  if (!Array.isArray(tags) || tags.length === 0) {
    throw new ImapArgumentError('CANCELUPDATE needs at least one tag');
  }
  const args: CommandArg[] = [];
  for (const tag of tags as readonly unknown[]) {
    if (typeof tag !== 'string' || !/^[\x21-\x7e]+$/.test(tag) || /[(){%*"\\+]/.test(tag)) {
      throw new ImapArgumentError(`not a command tag: ${JSON.stringify(tag)}`);
    }
    args.push(str(tag));
  }
  await ctx.exec('CANCELUPDATE', args);
}
