/**
 * The events of {@link ImapClient}, typed: `client.on('exists', (e) => ...)`.
 */
import type { SequenceSet } from '../model/sequence-set.js';

/** What the client knows about the selected mailbox. */
export interface MailboxInfo {
  /** The mailbox name as given to the lock or mailboxOpen() (Unicode). */
  path: string;
  /** Opened read-only (EXAMINE, or the server said `[READ-ONLY]`). */
  readOnly: boolean;
  /** Number of messages. */
  exists: number;
  /** UIDVALIDITY, null when the server sent none. */
  uidValidity: number | null;
  /** UIDNEXT as of the last SELECT, null when the server sent none. */
  uidNext: number | null;
  /**
   * The mailbox's HIGHESTMODSEQ as last reported by the server (SELECT and
   * `[HIGHESTMODSEQ]` codes; not a FETCH's MODSEQ), null without CONDSTORE.
   */
  highestModseq: bigint | null;
  /** The server said NOMODSEQ: no modification sequences in this mailbox. */
  noModseq: boolean;
  /** Flags defined in the mailbox (`* FLAGS`). */
  flags: string[];
  /** `[PERMANENTFLAGS]`, null when not sent. */
  permanentFlags: string[] | null;
}

/** `* n EXISTS`: the number of messages changed (new mail, usually). */
export interface ExistsEvent {
  /** The selected mailbox's name (Unicode). */
  path: string;
  /** The number of messages now. */
  count: number;
  /** The number of messages before. */
  prevCount: number;
}

/** `* n EXPUNGE`: a message was removed (without QRESYNC). */
export interface ExpungeEvent {
  /** The selected mailbox's name (Unicode). */
  path: string;
  /** Its sequence number before the removal. */
  seq: number;
  /**
   * Its UID, when the client knew it: UIDs by sequence number are tracked
   * only when QRESYNC is not enabled and reconnection is on (with QRESYNC the
   * server reports `vanished` UIDs instead).
   */
  uid?: number;
}

/** `* VANISHED`: messages were removed (QRESYNC enabled). */
export interface VanishedEvent {
  /** The selected mailbox's name (Unicode). */
  path: string;
  /** The UIDs of the removed messages. */
  uids: SequenceSet;
}

/**
 * An unsolicited `* n FETCH (FLAGS ...)` (or `* uid UIDFETCH (FLAGS ...)`
 * with UIDONLY, RFC 9586): another session changed a message's flags.
 * Those reported while a resync runs are emitted after its `resync` (or
 * `uidValidityChange`) event, numbered as after it.
 */
export interface FlagsEvent {
  /** The selected mailbox's name (Unicode). */
  path: string;
  /** The message's sequence number; 0 with UIDONLY enabled (messages are named by UID only). */
  seq: number;
  /** The message's UID, when the server sent it. */
  uid?: number;
  /** The message's flags now (all of them, not just the change). */
  flags: Set<string>;
  /** The message's MODSEQ after the change (CONDSTORE), when sent. */
  modseq?: bigint;
}

/** A message changed while the client was disconnected. */
export interface ChangedMessage {
  /** The message's UID. */
  uid: number;
  /** Its sequence number after the resync. */
  seq: number;
  /** Its flags now. */
  flags: Set<string>;
  /** Its MODSEQ now, when the server sent one. */
  modseq?: bigint;
}

/**
 * How the selected mailbox was brought up to date after a reconnection:
 * - `qresync`: one `SELECT ... (QRESYNC (uidvalidity modseq known-uids))`
 *   (RFC 7162 3.2.5); the server reported what vanished and what changed;
 * - `condstore`: `UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE modseq)` for
 *   the changes and a `UID SEARCH ALL` compared with the UIDs the client
 *   knew for what vanished;
 * - `none`: no MODSEQ (no CONDSTORE, or a NOMODSEQ mailbox): flag changes
 *   are unknown (`changed` is empty — re-read what you need); `vanished`
 *   still comes from the UIDs the client tracked;
 * - `full`: the server's HIGHESTMODSEQ went below the one saved (same
 *   UIDVALIDITY: it lost its mod-sequences), so changes since it cannot be
 *   asked for: `changed` holds every message with its flags (`UID FETCH 1:*
 *   (UID FLAGS MODSEQ)`), `vanished` the known UIDs not there any more
 *   (under QRESYNC, where no UIDs are tracked, every UID up to the highest
 *   the client knew that is missing now — possibly some it never saw).
 */
export type ResyncMethod = 'qresync' | 'condstore' | 'none' | 'full';

/** What changed in the selected mailbox while the client was disconnected. */
export interface ResyncEvent {
  /** The selected mailbox's name (Unicode). */
  path: string;
  /** How the changes were found. */
  method: ResyncMethod;
  /**
   * UIDs expunged meanwhile (including during the resync: no `expunge`,
   * `vanished` or `exists` event is emitted before `resync`), null when none.
   */
  vanished: SequenceSet | null;
  /**
   * Messages whose flags changed (or that arrived) meanwhile, by UID; none
   * of them is in `vanished` (a message that arrived and was expunged
   * during the resync is left out).
   */
  changed: ChangedMessage[];
  /** The number of messages before the drop. */
  prevCount: number;
  /** The number of messages now (when the resync completed). */
  count: number;
  /** The mailbox's HIGHESTMODSEQ now, null without CONDSTORE. */
  highestModseq: bigint | null;
}

/** The mailbox's UIDVALIDITY changed: every cached UID of it is meaningless now. */
export interface UidValidityChangeEvent {
  /** The mailbox's name (Unicode). */
  path: string;
  /** The UIDVALIDITY the client knew. */
  previous: number;
  /** The UIDVALIDITY the server reports now. */
  current: number;
}

/** The connection dropped unexpectedly. */
export interface DisconnectEvent {
  /** Why the connection ended (usually an `ImapConnectionError`). */
  error: Error;
  /**
   * The client is reconnecting (commands issued now, also from the
   * listener, wait for it). A listener that calls `close()` or `logout()`
   * ends the client: no reconnection is attempted.
   */
  reconnecting: boolean;
}

/** The client reconnected (and restored the selected mailbox). */
export interface ReconnectEvent {
  /**
   * Which attempt succeeded, from 1; when reconnected connections keep
   * dropping within 30 s, the n-th such drop in a row starts counting at n.
   */
  attempt: number;
}

/** The client closed for good. */
export interface CloseEvent {
  /** Why, when it was not logout() or close(). */
  error: Error | null;
}

/** The events of {@link ImapClient}. */
export interface ClientEvents {
  /** The message count of the selected mailbox changed (new mail, usually). */
  exists: [event: ExistsEvent];
  /** A message of the selected mailbox was removed (without QRESYNC). */
  expunge: [event: ExpungeEvent];
  /** Messages of the selected mailbox were removed (QRESYNC enabled). */
  vanished: [event: VanishedEvent];
  /** Another session changed a message's flags. */
  flags: [event: FlagsEvent];
  /** A mailbox was selected. */
  mailboxOpen: [mailbox: MailboxInfo];
  /** The selected mailbox was closed (or another one selected). */
  mailboxClose: [
    event: {
      /** The closed mailbox's name (Unicode). */
      path: string;
    },
  ];
  /** `[ALERT]` text the server wants the user to see. */
  alert: [
    event: {
      /** The alert's text. */
      message: string;
    },
  ];
  /** The connection dropped unexpectedly. */
  disconnect: [event: DisconnectEvent];
  /**
   * The client reconnected and restored the selected mailbox: emitted last,
   * after that attempt's `resync` (or `uidValidityChange`) and held `flags`.
   */
  reconnect: [event: ReconnectEvent];
  /**
   * During a reconnection, once the selected mailbox is restored: what
   * changed in it meanwhile. Emitted before `reconnect`; an attempt whose
   * connection drops right after may be followed by another attempt's
   * `resync`, relative to this one.
   */
  resync: [event: ResyncEvent];
  /**
   * The selected mailbox's UIDVALIDITY changed (found by a reconnection's
   * resync, or reported by the server mid-session): cached UIDs of it are
   * invalid. Mid-session the client rebuilds its UID map (`UID SEARCH ALL`).
   */
  uidValidityChange: [event: UidValidityChangeEvent];
  /**
   * A failure nobody awaited (reconnection given up, automatic IDLE refused,
   * mailbox data from the server that cannot be right: an `ImapError` with
   * code `PROTOCOL`). Only emitted when there is a listener, so it never throws.
   */
  error: [error: Error];
  /** The client closed for good. */
  close: [event: CloseEvent];
}
