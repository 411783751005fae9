/**
 * Bringing the selected mailbox back up to date after a reconnection, from
 * what the client knew before the drop (RFC 7162: QRESYNC, else CONDSTORE).
 * @internal
 */
import { expandServerSet, search } from '../commands/search.js';
import type { SearchQuery } from '../commands/search-query.js';
import { select, type SelectOptions, type SelectResult } from '../commands/select.js';
import { sameMailbox } from '../commands/mailbox-name.js';
import type { CommandContext, SelectedMailbox } from '../connection/types.js';
import { ImapMessageLimitError, ImapProtocolError } from '../model/errors.js';
import { SequenceSet } from '../model/sequence-set.js';
import type { ChangedMessage, MailboxInfo, ResyncEvent } from './events.js';
import { fetchPastMessageLimit } from './message-limit.js';
import { UidTracker, type MailboxUpdateLog } from './uid-tracker.js';

/** What the client remembers about the selected mailbox, to resynchronise it later. */
export interface SyncState {
  path: string;
  /** The mode asked for (the server may have made it read-only anyway). */
  readOnly: boolean;
  uidValidity: number | null;
  uidNext: number | null;
  /**
   * The mailbox's HIGHESTMODSEQ as last reported (SELECT and later
   * `[HIGHESTMODSEQ]` codes); never a FETCH's MODSEQ, which is one
   * message's, not a promise that every lower change was reported.
   */
  highestModseq: bigint | null;
  noModseq: boolean;
  /**
   * The highest UID the client may know about: UIDNEXT − 1 at SELECT, or a
   * higher one a FETCH, a UID SEARCH or the client's APPEND / COPY / MOVE
   * into the mailbox (APPENDUID, COPYUID) named.
   */
  maxUid: number;
  /**
   * Messages arrived (EXISTS grew) whose UIDs may be above {@link maxUid}:
   * a QRESYNC resync then names every UID as known (`1:4294967295`), not
   * just `1:maxUid`, so their expunges are reported too. Cleared when a
   * FETCH names the UID of the last message.
   */
  grown: boolean;
  /** Message count as last known. */
  exists: number;
  /** UIDs by sequence number, kept only when a resync would need them (no QRESYNC). */
  tracker: UidTracker | null;
}

/** The result of {@link resync}. */
export type ResyncOutcome =
  | { kind: 'resynced'; state: SyncState; event: ResyncEvent }
  | { kind: 'uidValidityChanged'; state: SyncState; previous: number; current: number }
  /** SELECT was refused for good (the mailbox was deleted or renamed meanwhile). */
  | { kind: 'gone'; error: ImapProtocolError };

/**
 * Response codes of a refused SELECT that say the refusal is temporary
 * (RFC 5530): a subsystem is down, the mailbox is in use (locked), a limit
 * was hit.
 */
const TEMPORARY_CODES = new Set(['UNAVAILABLE', 'INUSE', 'LIMIT']);

function isTemporaryRefusal(err: ImapProtocolError): boolean {
  const code = err.responseCode?.name;
  return err.status === 'NO' && code !== undefined && TEMPORARY_CODES.has(code);
}

/** QRESYNC can resynchronise a mailbox of this state on this connection. */
function canQresync(ctx: CommandContext, state: SyncState): boolean {
  return (
    ctx.enabled.has('QRESYNC') &&
    state.uidValidity !== null &&
    state.highestModseq !== null &&
    !state.noModseq
  );
}

/**
 * A later resync of this mailbox will need the UIDs by sequence number: the
 * connection cannot QRESYNC it, so what vanished must be found by diffing.
 */
export function needsUidTracker(ctx: CommandContext, r: SelectResult): boolean {
  return !(ctx.enabled.has('QRESYNC') && r.uidValidity !== null && !r.noModseq);
}

/** The SELECT options that make the server report HIGHESTMODSEQ when it can. */
export function condstoreSelectOptions(ctx: CommandContext, readOnly: boolean): SelectOptions {
  const condstore =
    ctx.hasCapability('CONDSTORE') && !ctx.enabled.has('CONDSTORE') && !ctx.enabled.has('QRESYNC');
  return condstore ? { readOnly, condstore } : { readOnly };
}

/**
 * How many times a UID snapshot cut by MESSAGELIMIT is taken again because
 * an EXPUNGE came between its searches, before giving up.
 */
const SNAPSHOT_ATTEMPTS = 5;

/**
 * Every UID in the selected mailbox (ESEARCH ranges when offered), in
 * ascending order. A search the server cuts with MESSAGELIMIT (RFC 9738:
 * it searched the UIDs from the cut up) is continued below the cut.
 *
 * With `log` (the mailbox updates recorded meanwhile), the log is told
 * where the snapshot's data came ({@link MailboxUpdateLog.settle}); a
 * snapshot of several searches with an EXPUNGE between them is taken again
 * (up to {@link SNAPSHOT_ATTEMPTS} times, then an ImapProtocolError).
 */
export async function uidSnapshot(
  ctx: CommandContext,
  log: MailboxUpdateLog | null = null,
): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    log?.begin();
    const marks: Array<object | null> = [];
    const watched = log === null ? ctx : watchSearchData(ctx, marks);
    const uids = await snapshotParts(watched);
    if (log === null || log.settle(marks)) return uids;
    if (attempt >= SNAPSHOT_ATTEMPTS) {
      throw new ImapProtocolError(
        'NO',
        `the UID snapshot of the selected mailbox, cut by MESSAGELIMIT, kept being overtaken by EXPUNGEs (${attempt} attempts)`,
      );
    }
  }
}

/**
 * `ctx`, telling `marks` the last SEARCH / ESEARCH response each command
 * run through it collected (null when none), in order.
 */
function watchSearchData(ctx: CommandContext, marks: Array<object | null>): CommandContext {
  const exec: CommandContext['exec'] = async (command, args, options) => {
    const result = await ctx.exec(command, args, options);
    let mark: object | null = null;
    for (const r of result.untagged) if (r.name === 'SEARCH' || r.name === 'ESEARCH') mark = r;
    marks.push(mark);
    return result;
  };
  return new Proxy(ctx, {
    get(target, prop) {
      if (prop === 'exec') return exec;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** The searches of {@link uidSnapshot}. */
async function snapshotParts(ctx: CommandContext): Promise<number[]> {
  const parts: number[][] = [];
  let query: SearchQuery = { all: true };
  let below = Infinity;
  for (;;) {
    try {
      parts.push(await uidsOf(ctx, query));
      break;
    } catch (err) {
      if (!(err instanceof ImapMessageLimitError) || err.lowestUid === null) throw err;
      if (err.lowestUid >= below) throw err; // no progress: do not loop
      parts.push(partialUids(ctx, err.partial));
      below = err.lowestUid;
      if (below <= 1) break;
      query = { uid: `1:${below - 1}` };
    }
  }
  // Each later part lies below the earlier ones.
  const out: number[] = [];
  for (let i = parts.length - 1; i >= 0; i--) for (const n of parts[i]!) out.push(n);
  return out;
}

/** The UIDs matching `query`: one UID SEARCH (RETURN (ALL) where ESEARCH is offered). */
async function uidsOf(ctx: CommandContext, query: SearchQuery): Promise<number[]> {
  if (ctx.hasCapability('ESEARCH') || ctx.hasCapability('IMAP4rev2')) {
    const r = await search(ctx, query, { uid: true, return: ['ALL'] });
    return r.all === undefined ? [] : expandServerSet(ctx, r.all, 'UID SEARCH RETURN (ALL)');
  }
  const r = await search(ctx, query, { uid: true });
  return r.numbers ?? [];
}

/** The UIDs a search cut by MESSAGELIMIT did return (its `partial`: a SEARCH or ESEARCH result). */
function partialUids(ctx: CommandContext, partial: unknown): number[] {
  const r = partial as { all?: SequenceSet; numbers?: number[] | null } | undefined;
  if (r?.all !== undefined) return expandServerSet(ctx, r.all, 'UID SEARCH RETURN (ALL)');
  return r?.numbers ?? [];
}

/** The state after a SELECT of `path`. */
export function stateFromSelect(
  path: string,
  readOnly: boolean,
  r: SelectResult,
  tracker: UidTracker | null,
): SyncState {
  return {
    path,
    readOnly,
    uidValidity: r.uidValidity,
    uidNext: r.uidNext,
    highestModseq: r.noModseq ? null : r.highestModseq,
    noModseq: r.noModseq,
    maxUid: r.uidNext === null ? 0 : Math.max(0, r.uidNext - 1),
    grown: false,
    exists: r.exists,
    tracker,
  };
}

/**
 * SELECTs (EXAMINEs with `readOnly`) `path` so that the server reports
 * HIGHESTMODSEQ when it can, and returns the state to track; with
 * `trackUids`, also the UIDs by sequence number when a later resync would
 * need them (`log`: see {@link uidSnapshot}).
 */
export async function selectTracked(
  ctx: CommandContext,
  path: string,
  readOnly: boolean,
  trackUids: boolean,
  log: MailboxUpdateLog | null = null,
): Promise<SyncState> {
  const r = await select(ctx, path, condstoreSelectOptions(ctx, readOnly));
  let tracker: UidTracker | null = null;
  if (trackUids && needsUidTracker(ctx, r)) {
    tracker = new UidTracker(r.exists > 0 ? await uidSnapshot(ctx, log) : []);
  }
  return stateFromSelect(path, readOnly, r, tracker);
}

/**
 * Brings `state`, built on a connection whose mailbox kept changing
 * meanwhile, up to date: the updates `log` recorded since the UID
 * snapshot's data go to its tracker, the message count is `selected`'s now.
 * Returns the UIDs expunged after the snapshot (known to it, gone now).
 */
export function applyUpdates(
  state: SyncState,
  log: MailboxUpdateLog,
  selected: Readonly<SelectedMailbox> | null,
): number[] {
  const gone = state.tracker === null ? [] : log.applyTo(state.tracker);
  if (selected !== null && sameMailbox(selected.name, state.path)) {
    // Arrivals after the SELECT's UIDNEXT: their UIDs are above maxUid.
    if (selected.exists > state.exists) state.grown = true;
    state.exists = selected.exists;
  }
  if (log.maxUid > state.maxUid) state.maxUid = log.maxUid;
  return gone;
}

/** What `ImapClient.mailbox` reports for `sync`: the live state of `selected` when it is the same mailbox. */
export function mailboxInfo(
  sync: SyncState,
  selected: Readonly<SelectedMailbox> | null,
): MailboxInfo {
  const live = selected !== null && sameMailbox(selected.name, sync.path) ? selected : null;
  // What the server reported last (it may have gone down: see fullResync).
  const modseq = live?.highestModseq ?? sync.highestModseq;
  return {
    path: sync.path,
    readOnly: live?.readOnly ?? sync.readOnly,
    exists: live?.exists ?? sync.exists,
    uidValidity: live?.uidValidity ?? sync.uidValidity,
    uidNext: live?.uidNext ?? sync.uidNext,
    highestModseq: modseq,
    noModseq: live?.noModseq ?? sync.noModseq,
    flags: [...(live?.flags ?? [])],
    permanentFlags: live?.permanentFlags == null ? null : [...live.permanentFlags],
  };
}

function changedMessage(m: {
  seq: number;
  uid?: number;
  flags?: Set<string> | readonly string[];
  modseq?: bigint;
}): ChangedMessage | null {
  if (m.uid === undefined) return null;
  const out: ChangedMessage = { uid: m.uid, seq: m.seq, flags: new Set(m.flags ?? []) };
  if (m.modseq !== undefined) out.modseq = m.modseq;
  return out;
}

/** The highest UID there can be (RFC 9051: nz-number, 32 bits). */
const MAX_UID = 4294967295;

/**
 * The UIDs a QRESYNC resync says the client knows (null: none). Every UID
 * the client may have counted must be in it, or its expunge goes unreported
 * (RFC 7162 3.2.5.1): messages that arrived since the UIDs were last known
 * may have any UID above them.
 */
function knownUids(prev: SyncState): string | null {
  if (prev.grown) return `1:${MAX_UID}`;
  return prev.maxUid > 0 ? `1:${prev.maxUid}` : null;
}

/**
 * Re-selects `prev.path` on a new connection and finds out what changed
 * since `prev`:
 * - QRESYNC enabled and a MODSEQ known: `SELECT path (QRESYNC (uidvalidity
 *   modseq 1:maxUid))` — the server answers with `VANISHED (EARLIER)` for
 *   the known UIDs expunged since, and a FETCH for every known message
 *   changed since (RFC 7162 3.2.5); the messages that arrived meanwhile
 *   (above maxUid) are fetched after it (`1:4294967295` when messages
 *   with UIDs above maxUid may be known: see {@link SyncState.grown});
 * - else, with CONDSTORE and a MODSEQ known: `UID FETCH 1:* (UID FLAGS
 *   MODSEQ) (CHANGEDSINCE modseq)` for the changes, and `UID SEARCH ALL`
 *   diffed with the UIDs the client tracked for what vanished;
 * - else only what vanished (when UIDs were tracked).
 * A changed UIDVALIDITY makes every cached UID meaningless: reported as
 * such, with a fresh state. Connection errors propagate (the caller retries),
 * and so does a SELECT refused with UNAVAILABLE, INUSE or LIMIT; any other
 * refusal of the SELECT means the mailbox is gone.
 */
export async function resync(
  ctx: CommandContext,
  prev: SyncState,
  options: { trackUids: boolean; log?: MailboxUpdateLog },
): Promise<ResyncOutcome> {
  const log = options.log ?? null;
  const useQresync = canQresync(ctx, prev);
  const known = knownUids(prev);
  let r: SelectResult;
  try {
    if (useQresync) {
      r = await select(ctx, prev.path, {
        readOnly: prev.readOnly,
        qresync: {
          uidValidity: prev.uidValidity!,
          modseq: prev.highestModseq!,
          ...(known === null ? {} : { knownUids: known }),
        },
        // Every change since the last session is needed, however many: no collection limit.
        maxCollectedBytes: Infinity,
      });
    } else {
      r = await select(ctx, prev.path, condstoreSelectOptions(ctx, prev.readOnly));
    }
  } catch (err) {
    // A temporary refusal is retried like a dropped connection (the error
    // propagates to the reconnection loop); any other means the mailbox is
    // gone (deleted, renamed, access revoked) and its saved state with it.
    if (err instanceof ImapProtocolError && !isTemporaryRefusal(err)) {
      return { kind: 'gone', error: err };
    }
    throw err;
  }

  const track = options.trackUids && needsUidTracker(ctx, r);
  if (prev.uidValidity !== null && r.uidValidity !== null && r.uidValidity !== prev.uidValidity) {
    const tracker = track ? new UidTracker(await uidSnapshot(ctx, log)) : null;
    return {
      kind: 'uidValidityChanged',
      state: stateFromSelect(prev.path, prev.readOnly, r, tracker),
      previous: prev.uidValidity,
      current: r.uidValidity,
    };
  }

  const base = {
    path: prev.path,
    prevCount: prev.exists,
    count: r.exists,
    highestModseq: r.noModseq ? null : r.highestModseq,
  };

  // HIGHESTMODSEQ only grows while UIDVALIDITY stays (RFC 7162 3.1.2.1): one
  // lower than saved means the server lost (or reset) its mod-sequences, and
  // the changes since the saved one would miss everything in between.
  if (
    prev.highestModseq !== null &&
    !r.noModseq &&
    r.highestModseq !== null &&
    r.highestModseq < prev.highestModseq
  ) {
    return fullResync(ctx, prev, r, track, log, base);
  }

  if (useQresync) {
    const changed = r.changed.map(changedMessage).filter((c): c is ChangedMessage => c !== null);
    // The server reported changes of the known UIDs only: those that arrived
    // meanwhile (above them) are `changed` too, as under CONDSTORE.
    const above = known === null || prev.grown ? 0 : prev.maxUid;
    if (above > 0 && r.exists > 0 && (r.uidNext === null || r.uidNext - 1 > above)) {
      const seen = new Set(changed.map((c) => c.uid));
      const messages = fetchPastMessageLimit(
        ctx,
        `${above + 1}:*`,
        { uid: true, flags: true, modseq: true },
        { uid: true },
      );
      for await (const m of messages) {
        const c = changedMessage(m);
        // `n:*` also names the last message when none is above n.
        if (c !== null && c.uid > above && !seen.has(c.uid)) changed.push(c);
      }
    }
    const tracker = track ? new UidTracker(await uidSnapshot(ctx, log)) : null;
    return {
      kind: 'resynced',
      state: stateFromSelect(prev.path, prev.readOnly, r, tracker),
      event: { ...base, method: 'qresync', vanished: r.vanished, changed },
    };
  }

  let changed: ChangedMessage[] = [];
  let method: ResyncEvent['method'] = 'none';
  const modseq = prev.highestModseq;
  if (
    modseq !== null &&
    !r.noModseq &&
    (ctx.hasCapability('CONDSTORE') || ctx.hasCapability('QRESYNC'))
  ) {
    method = 'condstore';
    if (r.exists > 0) {
      // Iterated, not collected: every change is needed, however many, and
      // only its folded form is kept; continued past MESSAGELIMIT cuts.
      const messages = fetchPastMessageLimit(
        ctx,
        '1:*',
        { uid: true, flags: true, modseq: true },
        { uid: true, changedSince: modseq },
      );
      for await (const m of messages) {
        const c = changedMessage(m);
        if (c !== null) changed.push(c);
      }
    }
  }
  let vanished = null;
  let tracker: UidTracker | null = null;
  if (prev.tracker !== null || track) {
    const now = r.exists > 0 ? await uidSnapshot(ctx, log) : [];
    if (prev.tracker !== null) vanished = prev.tracker.vanishedFrom(now);
    if (track) tracker = new UidTracker(now);
    // A changed message missing from the snapshot was expunged since the FETCH.
    const present = new Set(now);
    changed = changed.filter((m) => present.has(m.uid));
  }
  return {
    kind: 'resynced',
    state: stateFromSelect(prev.path, prev.readOnly, r, tracker),
    event: { ...base, method, vanished, changed },
  };
}

/**
 * The resync of a mailbox whose HIGHESTMODSEQ went backwards: every
 * message's flags (`changed` holds them all), and what vanished worked out
 * from the UIDs the client knew — the tracker's, or under QRESYNC (no
 * tracker) every UID up to the highest known that is not there now.
 */
async function fullResync(
  ctx: CommandContext,
  prev: SyncState,
  r: SelectResult,
  track: boolean,
  log: MailboxUpdateLog | null,
  base: Pick<ResyncEvent, 'path' | 'prevCount' | 'count' | 'highestModseq'>,
): Promise<ResyncOutcome> {
  let changed: ChangedMessage[] = [];
  if (r.exists > 0) {
    const messages = fetchPastMessageLimit(
      ctx,
      '1:*',
      { uid: true, flags: true, modseq: true },
      { uid: true },
    );
    for await (const m of messages) {
      const c = changedMessage(m);
      if (c !== null) changed.push(c);
    }
  }
  const now = r.exists > 0 ? await uidSnapshot(ctx, log) : [];
  const vanished =
    prev.tracker !== null ? prev.tracker.vanishedFrom(now) : missingUpTo(now, prev.maxUid);
  const present = new Set(now);
  changed = changed.filter((m) => present.has(m.uid));
  return {
    kind: 'resynced',
    state: stateFromSelect(prev.path, prev.readOnly, r, track ? new UidTracker(now) : null),
    event: { ...base, method: 'full', vanished, changed },
  };
}

/** The UIDs from 1 to `max` missing from ascending `uids`, null when none. */
function missingUpTo(uids: readonly number[], max: number): SequenceSet | null {
  const parts: string[] = [];
  let next = 1;
  for (const u of uids) {
    if (u > max) break;
    if (u > next) parts.push(u - 1 > next ? `${next}:${u - 1}` : `${next}`);
    next = u + 1;
  }
  if (next < max) parts.push(`${next}:${max}`);
  else if (next === max) parts.push(`${max}`);
  return parts.length === 0 ? null : SequenceSet.parse(parts.join(','));
}
