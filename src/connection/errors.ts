/**
 * Building the connection layer's errors: wrapping anything thrown into an
 * {@link ImapConnectionError}, and the messages for a closed connection, an
 * aborted command, a server BYE and a command timeout.
 */
import {
  ImapConnectionError,
  ImapLimitError,
  ImapProtocolError,
  ImapUidRequiredError,
} from '../model/errors.js';
import type { ResponseCode } from '../model/response-code.js';
import type { Pending } from './queue.js';
import type { CommandResult } from './types.js';

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Wraps anything thrown into an ImapConnectionError (kept as is when it already is one). */
export function asConnectionError(err: unknown, fallback: string): ImapConnectionError {
  if (err instanceof ImapConnectionError) return err;
  return new ImapConnectionError('CONNECTION_CLOSED', `${fallback}: ${errorMessage(err)}`, {
    cause: err,
  });
}

/** Anything thrown, as an Error. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The error for using a closed connection. */
export function closedError(): ImapConnectionError {
  return new ImapConnectionError('CONNECTION_CLOSED', 'the connection is closed');
}

/** The error commands pending at close() reject with. */
export function pendingCloseError(error: Error | undefined): ImapConnectionError {
  return error === undefined
    ? new ImapConnectionError('CONNECTION_CLOSED', 'the connection was closed')
    : error instanceof ImapConnectionError
      ? error
      : new ImapConnectionError('CONNECTION_CLOSED', `connection closed: ${error.message}`, {
          cause: error,
        });
}

/** The error of a command whose signal aborted. */
export function abortError(p: Pending, signal: AbortSignal): ImapConnectionError {
  return new ImapConnectionError('ABORTED', `${p.command} was aborted`, {
    command: p.redacted,
    cause: signal.reason,
  });
}

/** The error when the server closed the connection (after a BYE, when it sent one). */
export function serverClosedError(
  bye: { text: string; code: ResponseCode | null } | null,
): ImapConnectionError {
  return bye !== null
    ? new ImapConnectionError('CONNECTION_BYE', `the server closed the connection: ${bye.text}`, {
        serverText: bye.text,
        responseCode: bye.code,
      })
    : new ImapConnectionError('CONNECTION_CLOSED', 'the server closed the connection');
}

/** The error after an unsolicited BYE. */
export function byeError(bye: { text: string; code: ResponseCode | null }): ImapConnectionError {
  return new ImapConnectionError('CONNECTION_BYE', `the server said BYE: ${bye.text}`, {
    serverText: bye.text,
    responseCode: bye.code,
  });
}

/**
 * The command timeout's error: `silent` when no byte came for the whole
 * timeout, else the server dripped `bytes` without a complete response.
 */
export function commandTimeoutError(
  timeout: number,
  oldest: Pending | undefined,
  silent: boolean,
  bytes: number,
): ImapConnectionError {
  const waiting = oldest ? ` while waiting for ${oldest.command}` : '';
  return new ImapConnectionError(
    'CONNECTION_TIMEOUT',
    silent
      ? `no data from the server for ${timeout} ms${waiting}`
      : `the server sent only ${bytes} byte(s) and no complete response in ${timeout} ms${waiting} (too slow)`,
    oldest ? { command: oldest.redacted } : {},
  );
}

/**
 * The server completed `p` (e.g. NO to a LITERAL+ APPEND) but read nothing
 * more of its bytes for `timeout` ms: nothing else can be sent behind them.
 */
export function writeTimeoutError(timeout: number, p: Pending): ImapConnectionError {
  return new ImapConnectionError(
    'CONNECTION_TIMEOUT',
    `the server completed ${p.command} but read none of its remaining bytes for ${timeout} ms (nothing else can be sent)`,
    { command: p.redacted },
  );
}

/**
 * exec(): a NO or BAD completion as an ImapProtocolError (null for OK); a
 * `[UIDREQUIRED]` refusal (RFC 9586) as an ImapUidRequiredError.
 */
export function failedResult(
  command: string,
  result: CommandResult,
): ImapProtocolError | ImapUidRequiredError | null {
  const t = result.tagged;
  if (t.status === 'OK') return null;
  if (t.code?.name === 'UIDREQUIRED') {
    return new ImapUidRequiredError(
      `${command.toUpperCase()} refused: UIDONLY is enabled, messages must be named by UID (${t.text})`,
      true,
      { command: result.command, serverText: t.text, responseCode: t.code },
    );
  }
  return new ImapProtocolError(t.status, `${command.toUpperCase()} failed: ${t.text}`, {
    command: result.command,
    serverText: t.text,
    responseCode: t.code,
  });
}

/** A command collected more untagged data than its limit (ConnectOptions.maxCollectedBytes). */
export function collectedOverLimitError(p: Pending, name: string): ImapLimitError {
  return new ImapLimitError(
    'maxCollectedBytes',
    `${p.command} collected more than ${p.collectLimit} bytes of untagged responses ` +
      `(the last one ${name.slice(0, 40)}); its data was dropped. Raise the connection's ` +
      "maxCollectedBytes option (or the command's RunOptions.maxCollectedBytes), or use a " +
      'streaming API (fetch(), fetchStream) if this much is expected',
    { command: p.redacted },
  );
}
