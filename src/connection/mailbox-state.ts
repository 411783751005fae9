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
  | { type: 'closed' };

/** A fresh mailbox state for SELECT / EXAMINE of `name`. */
/** No events (shared: most responses change nothing worth an event). */
const NO_EVENTS: readonly MailboxEvent[] = Object.freeze([]);

export function newMailbox(name: string, readOnly: boolean): SelectedMailbox {
  return {
    name,
    readOnly,
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
    case 'UIDVALIDITY':
      mb.uidValidity = code.value;
      return NO_EVENTS;
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
      return selecting ? NO_EVENTS : [{ type: 'exists', count: response.number, previous }];
    }
    case 'RECENT':
      mb.recent = response.number;
      return NO_EVENTS;
    case 'EXPUNGE':
      if (mb.exists > 0) mb.exists--;
      return [{ type: 'expunge', seq: response.number }];
    case 'VANISHED': {
      if (!response.earlier) {
        const size = response.uids.size;
        if (size !== null) mb.exists = Math.max(0, mb.exists - size);
      }
      return [{ type: 'vanished', response }];
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
