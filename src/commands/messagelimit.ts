/**
 * MESSAGELIMIT (RFC 9738, Experimental): the server's limit on the number of
 * messages one FETCH, SEARCH, STORE, COPY, MOVE (or UID variant) or UID
 * EXPUNGE processes, announced as the capability `MESSAGELIMIT=n` (or
 * `SAVELIMIT=n`, a limit on COPY and APPEND only).
 *
 * What imapkit does with it:
 * - {@link messageLimit} / {@link saveLimit} read the announced values
 *   (null when not announced), so a caller can split its own big sets.
 * - A command the server processed only partly completes with a tagged OK
 *   carrying `[MESSAGELIMIT n uid]` (it processed the messages from UID
 *   `uid` up, highest first); every command module named above turns that
 *   into an {@link ImapMessageLimitError} carrying `limit`, `lowestUid` and
 *   the command's result for the processed part in `partial`, instead of
 *   returning a result that silently misses messages.
 * - A command the server refuses whole (COPY, APPEND over the limit) fails
 *   as usual with an ImapProtocolError whose `responseCode` is the typed
 *   `MESSAGELIMIT` code (`lowestUid` null).
 *
 * The check is one comparison on the tagged response of each command: no
 * cost per response, none when the server never sends the code. Not
 * handled: the form where the server puts `[MESSAGELIMIT ...]` in an
 * untagged NO because its tagged OK carries another code (it is still
 * emitted as an `untagged` event). The RFC's own text was not available
 * to this implementation; the grammar used (`"MESSAGELIMIT" SP
 * message-limit [SP uniqueid]`, the limit as `MESSAGELIMIT=n`) is confirmed
 * from independent implementations.
 */
import type { CommandContext, CommandResult } from '../connection/types.js';
import { ImapMessageLimitError } from '../model/errors.js';

function capabilityValue(ctx: Pick<CommandContext, 'capabilities'>, prefix: string): number | null {
  for (const c of ctx.capabilities) {
    if (!c.startsWith(prefix)) continue;
    const digits = c.slice(prefix.length);
    if (!/^[1-9][0-9]{0,9}$/.test(digits)) continue;
    const n = Number(digits);
    if (n <= 0xffffffff) return n;
  }
  return null;
}

/**
 * The `MESSAGELIMIT=n` capability's value (RFC 9738): the most messages one
 * FETCH, SEARCH, STORE, COPY, MOVE or UID EXPUNGE processes; null when the
 * server announces no such limit (or a malformed value).
 */
export function messageLimit(ctx: Pick<CommandContext, 'capabilities'>): number | null {
  return capabilityValue(ctx, 'MESSAGELIMIT=');
}

/**
 * The `SAVELIMIT=n` capability's value (RFC 9738): the most messages one
 * COPY or APPEND saves; null when not announced.
 */
export function saveLimit(ctx: Pick<CommandContext, 'capabilities'>): number | null {
  return capabilityValue(ctx, 'SAVELIMIT=');
}

/**
 * An {@link ImapMessageLimitError} when the command's tagged OK says the
 * server processed only part of its messages (`[MESSAGELIMIT n uid]`), else
 * null; `partial` is what the command made of the processed part. @internal
 */
export function messageLimitError(
  result: CommandResult,
  partial: () => unknown,
): ImapMessageLimitError | null {
  const code = result.tagged.code;
  if (result.tagged.status !== 'OK' || code === null) return null;
  if (code.name === 'OTHER' && code.atom === 'MESSAGELIMIT') {
    // Malformed, but still a cut: never mistaken for a complete answer (and
    // never continued: where it was cut is unknown). The limit reads 0.
    return new ImapMessageLimitError(0, null, partial(), {
      command: result.command,
      serverText: result.tagged.text,
      responseCode: code,
    });
  }
  if (code.name !== 'MESSAGELIMIT') return null;
  return new ImapMessageLimitError(code.limit, code.lowestUid, partial(), {
    command: result.command,
    serverText: result.tagged.text,
    responseCode: code,
  });
}

/** Throws {@link messageLimitError}'s error when there is one. @internal */
export function checkMessageLimit(result: CommandResult, partial: () => unknown): void {
  const err = messageLimitError(result, partial);
  if (err !== null) throw err;
}

/** `err` again with `partial` filled in (fetchAll: the messages it collected). @internal */
export function withPartial(err: ImapMessageLimitError, partial: unknown): ImapMessageLimitError {
  const details = {
    ...(err.command === undefined ? {} : { command: err.command }),
    ...(err.serverText === undefined ? {} : { serverText: err.serverText }),
    responseCode: err.responseCode,
  };
  return new ImapMessageLimitError(err.limit, err.lowestUid, partial, details);
}
