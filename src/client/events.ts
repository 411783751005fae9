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
  /** The highest MODSEQ the client has seen (CONDSTORE), null without one. */
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
  path: string;
  count: number;
  prevCount: number;
}

/** `* n EXPUNGE`: a message was removed (without QRESYNC). */
export interface ExpungeEvent {
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
  path: string;
  uids: SequenceSet;
}

/** An unsolicited `* n FETCH (FLAGS ...)`: another session changed a message's flags. */
export interface FlagsEvent {
  path: string;
  seq: number;
  uid?: number;
  flags: Set<string>;
  modseq?: bigint;
}

/** A message changed while the client was disconnected. */
export interface ChangedMessage {
  uid: number;
  /** Its sequence number after the resync. */
  seq: number;
  flags: Set<string>;
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
 *   still comes from the UIDs the client tracked.
 */
export type ResyncMethod = 'qresync' | 'condstore' | 'none';

/** What changed in the selected mailbox while the client was disconnected. */
export interface ResyncEvent {
  path: string;
  method: ResyncMethod;
  /** UIDs expunged meanwhile, null when none. */
  vanished: SequenceSet | null;
  /** Messages whose flags changed (or that arrived) meanwhile, by UID. */
  changed: ChangedMessage[];
  /** Messages before the drop and now. */
  prevCount: number;
  count: number;
  /** The mailbox's HIGHESTMODSEQ now, null without CONDSTORE. */
  highestModseq: bigint | null;
}

/** The mailbox's UIDVALIDITY changed: every cached UID of it is meaningless now. */
export interface UidValidityChangeEvent {
  path: string;
  previous: number;
  current: number;
}

/** The connection dropped unexpectedly. */
export interface DisconnectEvent {
  error: Error;
  /** The client is reconnecting (commands issued now wait for it). */
  reconnecting: boolean;
}

/** The client reconnected (and restored the selected mailbox). */
export interface ReconnectEvent {
  /** Which attempt succeeded, from 1. */
  attempt: number;
}

/** The client closed for good. */
export interface CloseEvent {
  /** Why, when it was not logout() or close(). */
  error: Error | null;
}

/** The events of {@link ImapClient}. */
export interface ClientEvents {
  exists: [event: ExistsEvent];
  expunge: [event: ExpungeEvent];
  vanished: [event: VanishedEvent];
  flags: [event: FlagsEvent];
  mailboxOpen: [mailbox: MailboxInfo];
  mailboxClose: [event: { path: string }];
  /** `[ALERT]` text the server wants the user to see. */
  alert: [event: { message: string }];
  disconnect: [event: DisconnectEvent];
  reconnect: [event: ReconnectEvent];
  resync: [event: ResyncEvent];
  uidValidityChange: [event: UidValidityChangeEvent];
  /**
   * A failure nobody awaited (reconnection given up, automatic IDLE refused).
   * Only emitted when there is a listener, so it never throws.
   */
  error: [error: Error];
  close: [event: CloseEvent];
}
