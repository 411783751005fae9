import { ImapError, type ImapErrorCode, type ImapErrorDetails } from '../model/errors.js';

/**
 * imaplib's `IMAP4.error`: the server said NO/BAD where imaplib raises, or
 * the caller misused the API. Messages follow CPython's where practical.
 */
export class ImaplibError extends ImapError {
  constructor(message: string, code: ImapErrorCode = 'PROTOCOL_BAD', details?: ImapErrorDetails) {
    super(code, message, details);
  }
}

/** imaplib's `IMAP4.abort`: the connection is unusable (a subclass of `error`). */
export class ImaplibAbort extends ImaplibError {
  constructor(
    message: string,
    code: ImapErrorCode = 'CONNECTION_CLOSED',
    details?: ImapErrorDetails,
  ) {
    super(message, code, details);
  }
}

/** imaplib's `IMAP4.readonly`: the mailbox became read-only (a subclass of `abort`). */
export class ImaplibReadonly extends ImaplibAbort {
  constructor(message: string, details?: ImapErrorDetails) {
    super(message, 'READ_ONLY', details);
  }
}
