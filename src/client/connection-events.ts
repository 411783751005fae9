/**
 * How the client follows one connection: its mailbox events (`exists`,
 * `expunge`, `vanished`, unsolicited FETCH as `flags`) become the client's
 * events, with the mailbox path and, where the client tracks them, UIDs; the
 * tracked mailbox (EXISTS, highest UID, sequence-to-UID map) is kept
 * current from untagged data; alerts and the close are passed on, and so
 * are a UIDVALIDITY change and data that cannot be right (the client then
 * rebuilds its UID map).
 * @internal
 */
import type { ImapConnection } from '../connection/connection.js';
import type { FetchDataResponse, UntaggedResponse } from '../model/response.js';
import type { ClientEvents, FlagsEvent } from './events.js';
import type { SyncState } from './resync.js';
import type { MailboxUpdateLog } from './uid-tracker.js';

/** What the client gives {@link followConnection}. */
export interface ConnectionFollower {
  /** The tracked mailbox when it is the one `conn` has selected (not while a SELECT runs). */
  syncFor(conn: ImapConnection): SyncState | null;
  /**
   * Where `conn`'s mailbox updates go while the client builds a new state
   * for its mailbox (SELECT or resync under way), else null.
   */
  stagingFor(conn: ImapConnection): MailboxUpdateLog | null;
  /** Emits a client event (a throwing listener is logged, not thrown). */
  emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void;
  /** `conn` closed, with `err` when it failed. */
  onClose(conn: ImapConnection, err: Error | null): void;
  /** `conn`'s selected mailbox got a new UIDVALIDITY mid-session. */
  onUidValidity(conn: ImapConnection, previous: number, current: number): void;
  /** `conn` reported mailbox data that cannot be right (see the connection's `inconsistent`). */
  onInconsistent(conn: ImapConnection, reason: string): void;
}

/** Listens to `conn` for `client`; returns the function that stops listening. */
export function followConnection(conn: ImapConnection, client: ConnectionFollower): () => void {
  const selectedPath = (): string | null => {
    const sel = conn.selected;
    return sel === null ? null : sel.name;
  };
  const onExists = (count: number, prevCount: number): void => {
    const path = selectedPath();
    if (path === null) return;
    const staging = client.stagingFor(conn);
    staging?.exists(count);
    if (staging?.quiet === true) return;
    const sync = client.syncFor(conn);
    if (sync !== null) {
      if (count > sync.exists) sync.grown = true;
      sync.exists = count;
      sync.tracker?.exists(count);
    }
    client.emit('exists', { path, count, prevCount });
  };
  const onExpunge = (seq: number): void => {
    const path = selectedPath();
    if (path === null) return;
    const staging = client.stagingFor(conn);
    staging?.expunge(seq);
    // A resync reports these in its `vanished` (new-session numbers mean nothing before it).
    if (staging?.quiet === true) return;
    const sync = client.syncFor(conn);
    const uid = sync?.tracker?.expunge(seq);
    if (sync !== null) sync.exists = conn.selected?.exists ?? sync.exists;
    client.emit('expunge', uid === undefined ? { path, seq } : { path, seq, uid });
  };
  const onVanished = (r: Extract<UntaggedResponse, { name: 'VANISHED' }>): void => {
    const path = selectedPath();
    // VANISHED (EARLIER) answers a QRESYNC SELECT or FETCH: reported by `resync`.
    if (path === null || r.earlier) return;
    const staging = client.stagingFor(conn);
    staging?.vanish(r.uids);
    // A resync reports these in its `vanished`, like EXPUNGEs.
    if (staging?.quiet === true) return;
    const sync = client.syncFor(conn);
    if (sync !== null) {
      sync.exists = conn.selected?.exists ?? sync.exists;
      // UIDONLY (RFC 9586) without QRESYNC: VANISHED replaces EXPUNGE.
      sync.tracker?.vanish(r.uids);
    }
    client.emit('vanished', { path, uids: r.uids });
  };
  const onFetch = (r: FetchDataResponse): void => {
    const path = selectedPath();
    const a = r.attributes;
    if (path === null || a.flags === undefined) return;
    const event: FlagsEvent = {
      path,
      seq: r.name === 'FETCH' ? r.seq : 0,
      flags: new Set(a.flags),
      ...(a.uid === undefined ? {} : { uid: a.uid }),
      ...(a.modseq === undefined ? {} : { modseq: a.modseq }),
    };
    const staging = client.stagingFor(conn);
    // During a resync: emitted after `resync`, numbered as after it.
    if (staging?.quiet === true) staging.holdFlags(event);
    else client.emit('flags', event);
  };
  const onUntagged = (r: UntaggedResponse): void => {
    if (r.name === 'SEARCH' || r.name === 'ESEARCH') {
      // Whether it is the UID snapshot's data is settled when the snapshot completes.
      client.stagingFor(conn)?.searchData(r);
      return;
    }
    if (r.name !== 'FETCH' && r.name !== 'UIDFETCH') return;
    const uidOf = r.attributes.uid;
    if (uidOf !== undefined)
      client.stagingFor(conn)?.fetched(r.name === 'FETCH' ? r.seq : null, uidOf);
    const sync = client.syncFor(conn);
    if (sync === null) return;
    // A FETCH's MODSEQ is not taken as the mailbox's HIGHESTMODSEQ: it is one
    // message's, and changes below it may not have been reported yet (no
    // EXPUNGE during FETCH or STORE, RFC 9051 7.5.1). Only `[HIGHESTMODSEQ]`
    // codes count: the engine applies them to `conn.selected` (see syncFor).
    const { uid } = r.attributes;
    if (uid !== undefined) {
      if (uid > sync.maxUid) sync.maxUid = uid;
      if (r.name === 'FETCH') {
        // The last message's UID: no message is above maxUid any more.
        if (sync.grown && r.seq === sync.exists) sync.grown = false;
        sync.tracker?.fetched(r.seq, uid);
      } else sync.tracker?.fetchedUid(uid);
    }
  };
  const onAlert = (message: string): void => client.emit('alert', { message });
  const onClose = (err: Error | null): void => client.onClose(conn, err);
  const onUidValidity = (previous: number, current: number): void =>
    client.onUidValidity(conn, previous, current);
  const onInconsistent = (reason: string): void => client.onInconsistent(conn, reason);
  conn.on('exists', onExists);
  conn.on('expunge', onExpunge);
  conn.on('vanished', onVanished);
  conn.on('fetch', onFetch);
  conn.on('uidfetch', onFetch);
  conn.on('untagged', onUntagged);
  conn.on('alert', onAlert);
  conn.on('close', onClose);
  conn.on('uidvalidity', onUidValidity);
  conn.on('inconsistent', onInconsistent);
  return () => {
    conn.off('exists', onExists);
    conn.off('expunge', onExpunge);
    conn.off('vanished', onVanished);
    conn.off('fetch', onFetch);
    conn.off('uidfetch', onFetch);
    conn.off('untagged', onUntagged);
    conn.off('alert', onAlert);
    conn.off('close', onClose);
    conn.off('uidvalidity', onUidValidity);
    conn.off('inconsistent', onInconsistent);
  };
}
