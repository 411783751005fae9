/**
 * The selected mailbox as the engine tracks it from untagged data
 * (RFC 9051 7.3, 7.4; RFC 7162 for HIGHESTMODSEQ / NOMODSEQ / VANISHED).
 * Pure functions: they update a {@link SelectedMailbox} and say which events
 * the connection should emit.
 * @internal
 */
import type { ResponseCode } from '../model/response-code.js';
import type { UntaggedResponse } from '../model/response.js';
import type { SelectedMailbox } from './types.js';

/** What a mailbox update means for listeners. */
export type MailboxEvent =
  | { type: 'exists'; count: number; previous: number }
  | { type: 'expunge'; seq: number }
  | { type: 'vanished'; response: Extract<UntaggedResponse, { name: 'VANISHED' }> }
  | { type: 'readonly' }
  | { type: 'closed' }
  /** `[UIDVALIDITY n]` outside SELECT/EXAMINE naming another value: every UID known is void. */
  | { type: 'uidvalidity'; previous: number; current: number }
  /**
   * Data that cannot be right (RFC 9051 7.3.1, 7.4.1; RFC 7162 3.2.10):
   * EXISTS going down, an EXPUNGE of a message that does not exist, a
   * VANISHED of more messages than there are. The count was kept or
   * clamped; what positions map to is no longer known for sure.
   */
  | { type: 'inconsistent'; reason: string };

/** A fresh mailbox state for SELECT / EXAMINE of `name`. */
/** No events (shared: most responses change nothing worth an event). */
const NO_EVENTS: readonly MailboxEvent[] = Object.freeze([]);

export function newMailbox(name: string, readOnly: boolean): SelectedMailbox {
  return {
    name,
    readOnly,
    examined: readOnly,
    exists: 0,
    recent: 0,
    flags: [],
    permanentFlags: null,
    uidValidity: null,
    uidNext: null,
    highestModseq: null,
    noModseq: false,
  };
}

/**
 * Applies a response code from an untagged OK/NO/BAD or a tagged response.
 * `selecting` is true while SELECT/EXAMINE runs: READ-ONLY then describes the
 * new mailbox, not a change.
 */
export function applyCode(
  mb: SelectedMailbox,
  code: ResponseCode,
  selecting: boolean,
): readonly MailboxEvent[] {
  switch (code.name) {
    case 'PERMANENTFLAGS':
      mb.permanentFlags = [...code.flags];
      return NO_EVENTS;
    case 'UIDVALIDITY': {
      const previous = mb.uidValidity;
      mb.uidValidity = code.value;
      if (selecting || previous === null || previous === code.value) return NO_EVENTS;
      // Mod-sequences belong to a UIDVALIDITY (RFC 7162 3.1.2.1): the old
      // one's HIGHESTMODSEQ says nothing of the new (a later code sets it).
      mb.highestModseq = null;
      return [{ type: 'uidvalidity', previous, current: code.value }];
    }
    case 'UIDNEXT':
      mb.uidNext = code.value;
      return NO_EVENTS;
    case 'HIGHESTMODSEQ':
      mb.highestModseq = code.value;
      mb.noModseq = false;
      return NO_EVENTS;
    case 'NOMODSEQ':
      mb.noModseq = true;
      mb.highestModseq = null;
      return NO_EVENTS;
    case 'READ-WRITE':
      mb.readOnly = false;
      return NO_EVENTS;
    case 'READ-ONLY':
      if (selecting || mb.readOnly) {
        mb.readOnly = true;
        return NO_EVENTS;
      }
      mb.readOnly = true;
      return [{ type: 'readonly' }];
    case 'CLOSED':
      return [{ type: 'closed' }];
    default:
      return NO_EVENTS;
  }
}

/**
 * Applies one untagged response to the mailbox. During SELECT/EXAMINE
 * (`selecting`), EXISTS sets the count without an `exists` event.
 */
export function applyUntagged(
  mb: SelectedMailbox,
  response: UntaggedResponse,
  selecting: boolean,
): readonly MailboxEvent[] {
  switch (response.name) {
    case 'EXISTS': {
      const previous = mb.exists;
      mb.exists = response.number;
      if (selecting) return NO_EVENTS;
      const event: MailboxEvent = { type: 'exists', count: response.number, previous };
      if (response.number >= previous) return [event];
      // Only EXPUNGE reduces the count (RFC 9051 7.4.1): the server's number
      // is taken (what else), but which messages went is not known.
      return [
        event,
        { type: 'inconsistent', reason: `EXISTS went down from ${previous} to ${response.number}` },
      ];
    }
    case 'RECENT':
      mb.recent = response.number;
      return NO_EVENTS;
    case 'EXPUNGE': {
      const seq = response.number;
      if (selecting) {
        if (mb.exists > 0) mb.exists--;
        return [{ type: 'expunge', seq }];
      }
      // An EXPUNGE names an existing message (RFC 9051 7.4.1): one that does
      // not exist is ignored (the count would go wrong) and reported.
      if (seq < 1 || seq > mb.exists) {
        const reason = `EXPUNGE of message ${seq} with ${mb.exists} in the mailbox`;
        return [{ type: 'inconsistent', reason }];
      }
      mb.exists--;
      return [{ type: 'expunge', seq }];
    }
    case 'VANISHED': {
      if (response.earlier) return [{ type: 'vanished', response }];
      // The count drops by the messages that were in the mailbox; which of
      // the UIDs were is not known here (the client's UID map may know),
      // but more than there are cannot be.
      const size = response.uids.size;
      if (size === null || size <= mb.exists) {
        if (size !== null) mb.exists -= size;
        return [{ type: 'vanished', response }];
      }
      const reason = `VANISHED of ${size} messages with ${mb.exists} in the mailbox`;
      mb.exists = 0;
      return [
        { type: 'vanished', response },
        { type: 'inconsistent', reason },
      ];
    }
    case 'FLAGS':
      mb.flags = [...response.flags];
      return NO_EVENTS;
    case 'OK':
    case 'NO':
    case 'BAD':
      return response.code === null ? [] : applyCode(mb, response.code, selecting);
    default:
      return NO_EVENTS; // FETCH and the like: one per message, so no array each
  }
}
