import type { Response } from './response.js';
import type { ResponseCode } from './response-code.js';

/** Stable machine-readable error codes. */
export type ImapErrorCode =
  | 'PROTOCOL_NO'
  | 'PROTOCOL_BAD'
  | 'CONNECTION_CLOSED'
  | 'CONNECTION_BYE'
  | 'CONNECTION_TIMEOUT'
  | 'CONNECTION_FAILED'
  | 'TLS_REQUIRED'
  | 'TLS_INJECTION'
  | 'COMPRESS_INJECTION'
  | 'PARSE'
  | 'PROTOCOL'
  | 'LIMIT'
  | 'READ_ONLY'
  | 'CAPABILITY'
  | 'ARGUMENT'
  | 'STATE'
  | 'AUTH'
  | 'ABORTED'
  | 'UID_REQUIRED'
  | 'MESSAGE_LIMIT'
  | 'APPEND_PARTIAL';

/** Details every imapkit error may carry. */
export interface ImapErrorDetails {
  /** The command that failed, with secrets and literals redacted. */
  command?: string;
  /** The server's human-readable text, when the server said something. */
  serverText?: string;
  /** The server's response code, when there was one. */
  responseCode?: ResponseCode | null;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error imapkit throws. */
export class ImapError extends Error {
  /** Stable machine-readable code, e.g. `PROTOCOL_NO` or `CONNECTION_TIMEOUT`. */
  readonly code: ImapErrorCode;
  /** The command that failed, with secrets and literals redacted; undefined when no command was involved. */
  readonly command: string | undefined;
  /** The server's human-readable text, when the server said something. */
  readonly serverText: string | undefined;
  /** The server's response code, or null. */
  readonly responseCode: ResponseCode | null;

  constructor(code: ImapErrorCode, message: string, details: ImapErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.command = details.command;
    this.serverText = details.serverText;
    this.responseCode = details.responseCode ?? null;
  }
}

/** The server answered NO or BAD (imaplib's `error`). */
export class ImapProtocolError extends ImapError {
  /** 'NO' or 'BAD'. */
  readonly status: 'NO' | 'BAD';

  constructor(status: 'NO' | 'BAD', message: string, details: ImapErrorDetails = {}) {
    super(status === 'NO' ? 'PROTOCOL_NO' : 'PROTOCOL_BAD', message, details);
    this.status = status;
  }
}

/**
 * The connection is unusable: dropped, BYE, timeout, unparsable server data,
 * a parser limit exceeded, a TLS downgrade attempt (imaplib's `abort`).
 * Two kinds fail only their command and leave the connection usable: an
 * {@link ImapLimitError} for `maxCollectedBytes`, and code ABORTED (the
 * caller's abort signal).
 */
export class ImapConnectionError extends ImapError {
  /**
   * Responses a parser completed from the same input before it failed, in
   * order: the connection still delivers them, so nothing the server
   * finished saying is lost.
   */
  completed: Response[] = [];
}

/** Server bytes that do not parse. The parser that threw is unusable afterwards. */
export class ImapParseError extends ImapConnectionError {
  /** Byte offset in the response where parsing failed. */
  readonly offset: number;

  constructor(message: string, offset: number, details: ImapErrorDetails = {}) {
    super('PARSE', message, details);
    this.offset = offset;
  }
}

/**
 * A configured limit (line length, literal size, nesting depth, buffered
 * bytes, collected bytes) was exceeded. The parser's limits leave the
 * connection unusable; `maxCollectedBytes` fails only its command (the
 * connection stays usable, unless the server then does not complete the
 * command within the command timeout).
 */
export class ImapLimitError extends ImapConnectionError {
  /** Which limit. */
  readonly limit: string;

  constructor(limit: string, message: string, details: ImapErrorDetails = {}) {
    super('LIMIT', message, details);
    this.limit = limit;
  }
}

/** The mailbox became read-only (imaplib's `readonly`). */
export class ImapReadOnlyError extends ImapConnectionError {
  constructor(message: string, details: ImapErrorDetails = {}) {
    super('READ_ONLY', message, details);
  }
}

/** The command needs a capability the server did not announce; nothing was sent. */
export class ImapCapabilityError extends ImapError {
  /** The capability that is missing. */
  readonly capability: string;

  constructor(capability: string, message?: string, details: ImapErrorDetails = {}) {
    super('CAPABILITY', message ?? `server lacks the ${capability} capability`, details);
    this.capability = capability;
  }
}

/**
 * Caller input that cannot be encoded safely, raised before anything is
 * sent; also a message or body part that does not exist (`fetchStream`,
 * `download`: the FETCH returned no such section, or the message's body
 * structure has no such part).
 */
export class ImapArgumentError extends ImapError {
  constructor(message: string, details: ImapErrorDetails = {}) {
    super('ARGUMENT', message, details);
  }
}

/** A command was used in a connection state where it is not allowed. */
export class ImapStateError extends ImapError {
  constructor(message: string, details: ImapErrorDetails = {}) {
    super('STATE', message, details);
  }
}

/**
 * A command named messages by sequence number while UIDONLY is enabled
 * (RFC 9586, capability UIDONLY): only UID commands (UID FETCH, UID STORE,
 * UID SEARCH, UID COPY, UID MOVE...) may be used. Raised before anything is
 * sent (`sent` false) when the connection knows UIDONLY is enabled, or for
 * the server's `BAD [UIDREQUIRED]` (`sent` true, with its text and code).
 */
export class ImapUidRequiredError extends ImapError {
  /** The server refused the command (`BAD [UIDREQUIRED]`); false when it was refused before sending. */
  readonly sent: boolean;

  constructor(message: string, sent: boolean, details: ImapErrorDetails = {}) {
    super('UID_REQUIRED', message, details);
    this.sent = sent;
  }
}

/**
 * The server processed only part of a command's messages because of its
 * MESSAGELIMIT (RFC 9738, capability MESSAGELIMIT): its tagged OK carried
 * `[MESSAGELIMIT limit uid]`. The messages with UIDs from `lowestUid` up
 * were processed (FETCH data already delivered, flags stored, messages
 * copied, moved or expunged); those below `lowestUid` were not. Repeat the
 * command on `UID 1:lowestUid-1` (in batches of at most `limit`) for the
 * rest. What the command did is in `partial`, typed as the command's own
 * result (`fetchAll`: the messages; a `fetch()` iterator: undefined, the
 * messages were delivered; STORE, SEARCH, COPY, MOVE, UID EXPUNGE: their
 * result objects). Not detected: a cut the server reports in an untagged
 * `* NO [MESSAGELIMIT ...]` because its tagged OK carries another code; it
 * reaches the connection's `untagged` event only.
 */
export class ImapMessageLimitError extends ImapError {
  /** The server's limit on messages per command (0 when its code was malformed). */
  readonly limit: number;
  /** The lowest UID processed; null when the server did not say (then nothing is known to be done). */
  readonly lowestUid: number | null;
  /** The command's result for the part that was processed (its own result type). */
  readonly partial: unknown;

  constructor(
    limit: number,
    lowestUid: number | null,
    partial: unknown,
    details: ImapErrorDetails = {},
  ) {
    super(
      'MESSAGE_LIMIT',
      lowestUid === null
        ? `the server processed only part of the messages (MESSAGELIMIT ${limit})`
        : `the server processed only the messages from UID ${lowestUid} up (MESSAGELIMIT ${limit}); those below UID ${lowestUid} were not processed`,
      details,
    );
    this.limit = limit;
    this.lowestUid = lowestUid;
    this.partial = partial;
  }
}

/**
 * `appendMany` without MULTIAPPEND (one APPEND per message) stored some of
 * the messages, then one failed: the first `stored` messages, in the order
 * given, are in the mailbox; the one that failed and those after it were
 * not sent or not stored (after a lost connection, the failed one may have
 * been stored too: `stored` is then a lower bound). `cause` is that
 * message's error (an {@link ImapProtocolError} with the server's code, a
 * connection error, ...). A failure of the first message throws its error
 * itself: nothing was stored.
 */
export class ImapPartialAppendError extends ImapError {
  /** How many of the messages (the first ones given) were stored. */
  readonly stored: number;
  /** How many messages were to be appended. */
  readonly total: number;
  /** The UIDs of the stored messages, in order, when the server reported them all (UIDPLUS); else null. */
  readonly uids: number[] | null;

  constructor(stored: number, total: number, uids: number[] | null, cause: unknown) {
    const inner = cause instanceof ImapError ? cause : null;
    const text = cause instanceof Error ? cause.message : String(cause);
    super('APPEND_PARTIAL', `${text} (${stored} of ${total} message(s) were stored before)`, {
      ...(inner?.command === undefined ? {} : { command: inner.command }),
      ...(inner?.serverText === undefined ? {} : { serverText: inner.serverText }),
      responseCode: inner?.responseCode ?? null,
      cause,
    });
    this.stored = stored;
    this.total = total;
    this.uids = uids;
  }
}
