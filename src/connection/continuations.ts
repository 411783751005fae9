/**
 * The server's `+` continuation requests (RFC 9051 7.5): which in-flight
 * command a `+` is for, and answering it. A command sending a synchronizing
 * literal waits for the `+` before the literal's bytes; otherwise the newest
 * command with a continuation handler (AUTHENTICATE, IDLE, a caller's
 * `onContinuation`) answers it with one line. A `+` nobody waits for is a
 * protocol error.
 * @internal
 */
import { ImapConnectionError } from '../model/errors.js';
import type { ContinuationResponse } from '../model/response.js';
import { asConnectionError, asError } from './errors.js';
import { rejectPending, type Hooks, type Pending } from './queue.js';

/** What answering continuations needs from the connection. */
export interface ContinuationHost {
  /** The connection is closed. */
  closed(): boolean;
  /** Writes one line answering a continuation (`[redacted]` in the log when `redact`). */
  writeLine(line: string, redact: boolean): void;
  /** Closes the connection with `error`. */
  close(error: Error): void;
}

/** Waits for the `+` that lets `p` send its next synchronizing literal. */
export function waitContinue(p: Pending): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    p.continueWaiter = { resolve, reject };
  });
}

/** Hands a `+` to the command waiting for it, or closes the connection when none is. */
export function onContinuation(
  inFlight: readonly Pending[],
  r: ContinuationResponse,
  host: ContinuationHost,
): void {
  const writer = inFlight.find((p) => p.continueWaiter !== null);
  if (writer !== undefined) {
    const waiter = writer.continueWaiter!;
    writer.continueWaiter = null;
    waiter.resolve();
    return;
  }
  for (let i = inFlight.length - 1; i >= 0; i--) {
    const p = inFlight[i]!;
    const handler = p.hooks.onContinuation ?? p.options.onContinuation;
    if (handler === undefined || p.phase === 'done') continue;
    answerContinuation(p, handler, r, host);
    return;
  }
  host.close(
    new ImapConnectionError(
      'PROTOCOL',
      'protocol error: the server sent a continuation request no command was waiting for',
    ),
  );
}

/** Writes `handler`'s answer (now or once it resolves); a failing handler closes the connection. */
function answerContinuation(
  p: Pending,
  handler: NonNullable<Hooks['onContinuation']>,
  r: ContinuationResponse,
  host: ContinuationHost,
): void {
  // Every AUTHENTICATE answers with credentials, whoever wrote the handler
  // (a caller's run() with onContinuation, the imaplib facade).
  const redact = p.hooks.redactContinuations === true || p.verb === 'AUTHENTICATE';
  const fail = (err: unknown): void => {
    rejectPending(p, asError(err));
    host.close(asConnectionError(err, `answering a continuation of ${p.command} failed`));
  };
  let answer: Promise<string | null> | string | null;
  try {
    answer = handler(r);
  } catch (err) {
    fail(err);
    return;
  }
  if (typeof answer === 'string' || answer === null) {
    if (answer !== null) host.writeLine(answer, redact);
    return;
  }
  answer.then((line) => {
    if (line !== null && !host.closed() && p.phase !== 'done') host.writeLine(line, redact);
  }, fail);
}
