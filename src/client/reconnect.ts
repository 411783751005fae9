/**
 * Reconnection: the backoff schedule, an abortable sleep, which failures
 * are worth retrying, the attempts loop, and the gate commands wait at while
 * the client reconnects.
 * @internal
 */
import { ImapConnectionError, ImapError, ImapProtocolError } from '../model/errors.js';
import { MAX_TIMER_MS, type ResolvedReconnect } from './options.js';

/**
 * Delay before attempt `attempt` (from 1): exponential backoff from
 * `initialDelayMs`, doubled each attempt, capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so many clients dropped at once
 * do not come back in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedReconnect, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exp = options.initialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(options.maxDelayMs, exp, MAX_TIMER_MS);
  return Math.round(capped / 2 + (capped / 2) * random());
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Response codes of a refused login that retrying cannot fix. */
const FATAL_LOGIN_CODES = new Set([
  'AUTHENTICATIONFAILED',
  'AUTHORIZATIONFAILED',
  'EXPIRED',
  'PRIVACYREQUIRED',
  'CONTACTADMIN',
]);

/**
 * Response codes of a refused LOGIN / AUTHENTICATE that say the refusal is
 * temporary, not about the credentials (RFC 5530): a subsystem is down, the
 * account is in use or over a limit (e.g. connections).
 */
const TRANSIENT_LOGIN_CODES = new Set(['UNAVAILABLE', 'INUSE', 'LIMIT']);

/** The command of `err` (tag first) was LOGIN or AUTHENTICATE. */
function isLoginCommand(err: ImapProtocolError): boolean {
  return /^(?:\S+ )?(?:LOGIN|AUTHENTICATE)(?: |$)/i.test(err.command ?? '');
}

/**
 * True when reconnecting again is pointless: the credentials were refused,
 * or the error is not about the connection at all (a bug, bad options).
 * A refused LOGIN / AUTHENTICATE is final when its response code says the
 * credentials or the account are the problem (AUTHENTICATIONFAILED and the
 * like), when it has no code at all (RFC 9051 6.2.3: a NO means the
 * credentials were rejected, as in Exchange's `NO LOGIN failed.`), and on
 * BAD; retrying rejected credentials risks locking the account. It is
 * retried when its code is another one: the transient UNAVAILABLE, INUSE,
 * LIMIT, or e.g. Gmail's `NO [ALERT] Too many simultaneous connections`,
 * which a later attempt gets past once the dropped session is gone.
 */
export function isFatalReconnectError(err: unknown): boolean {
  if (err instanceof ImapConnectionError) {
    // LIMIT: the same server data would exceed the same limit again.
    return err.code === 'TLS_REQUIRED' || err.code === 'AUTH' || err.code === 'LIMIT';
  }
  if (err instanceof ImapProtocolError) {
    const code = err.responseCode?.name;
    if (code !== undefined && FATAL_LOGIN_CODES.has(code)) return true;
    if (!isLoginCommand(err)) return false;
    if (err.status === 'BAD') return code === undefined || !TRANSIENT_LOGIN_CODES.has(code);
    return code === undefined;
  }
  // Argument, state, capability and SASL errors would fail the same way again.
  return err instanceof ImapError;
}

/**
 * Where commands issued while the client reconnects wait: each waiter gets
 * the new connection when it is ready, or an error when the reconnection
 * fails or takes longer than its timeout.
 */
export class ReadyGate<T> {
  #waiters = new Set<{ resolve: (value: T) => void; reject: (err: Error) => void }>();

  /** Waits at most `timeoutMs` for {@link open} (`Infinity`: no time limit). */
  wait(timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        resolve: (value: T): void => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err: Error): void => {
          clearTimeout(timer);
          reject(err);
        },
      };
      if (timeoutMs !== Infinity) {
        timer = setTimeout(
          () => {
            this.#waiters.delete(waiter);
            reject(
              new ImapConnectionError(
                'CONNECTION_TIMEOUT',
                `the connection was lost and not restored within ${timeoutMs} ms`,
              ),
            );
          },
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
        timer.unref?.();
      }
      this.#waiters.add(waiter);
    });
  }

  /** Lets every waiter through with `value`. */
  open(value: T): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.resolve(value);
  }

  /** Fails every waiter with `err`. */
  fail(err: Error): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.reject(err);
  }
}

/** What {@link reconnect} does through the client. */
export interface ReconnectHost<C extends { readonly closed: boolean; close(): void }> {
  /** The client still wants this reconnection (not closed, still reconnecting). */
  wanted(): boolean;
  /** Opens a new connection (logged in, extensions enabled). */
  open(): Promise<C>;
  /** Makes `conn` the client's connection and restores the selected mailbox on it. */
  restore(conn: C): Promise<void>;
  /** `conn` is ready: the reconnection succeeded at attempt `attempt`. */
  reconnected(conn: C, attempt: number): void;
  /** Every attempt failed (or a failure is not worth retrying). */
  gaveUp(error: ImapConnectionError): void;
  log(level: 'info' | 'warn', msg: string, obj: object): void;
}

/**
 * How long a reconnected connection must last before its reconnection
 * counts as healthy: a drop before that continues the previous attempts
 * (growing delay, towards `maxAttempts`) instead of starting afresh, so a
 * server or proxy that drops every new session at once is not reconnected
 * to forever at the initial delay.
 */
export const HEALTHY_CONNECTION_MS = 30_000;

/**
 * Reconnects after `cause` dropped the connection: up to
 * `options.maxAttempts` attempts with {@link backoffDelay} between them,
 * from attempt `firstAttempt` (above 1 when the previous reconnection did
 * not last, see {@link HEALTHY_CONNECTION_MS}), until one opens and
 * restores a connection; stops quietly when the client no longer wants it
 * (closed meanwhile, `signal` aborts the wait).
 */
export async function reconnect<C extends { readonly closed: boolean; close(): void }>(
  cause: Error,
  options: ResolvedReconnect,
  signal: AbortSignal,
  host: ReconnectHost<C>,
  firstAttempt = 1,
): Promise<void> {
  let lastError: Error = cause;
  const max = options.maxAttempts;
  let attempt = 0;
  for (attempt = firstAttempt; attempt <= max; attempt++) {
    const delay = backoffDelay(attempt, options);
    host.log('info', `connection lost (${lastError.message}); reconnecting in ${delay} ms`, {
      attempt,
    });
    await sleep(delay, signal);
    if (!host.wanted()) return;
    let conn: C | null = null;
    try {
      conn = await host.open();
      if (!host.wanted()) {
        conn.close();
        return;
      }
      await host.restore(conn);
      if (conn.closed) throw new ImapConnectionError('CONNECTION_CLOSED', 'closed while restoring');
      if (!host.wanted()) return;
      host.reconnected(conn, attempt);
      return;
    } catch (err) {
      lastError = err instanceof Error ? err : new Error(String(err));
      host.log('warn', `reconnection attempt failed: ${lastError.message}`, { attempt });
      if (conn !== null && !conn.closed) conn.close();
      if (isFatalReconnectError(err)) break;
    }
  }
  if (!host.wanted()) return;
  host.gaveUp(
    new ImapConnectionError(
      'CONNECTION_CLOSED',
      `the connection was lost and could not be restored (${Math.min(attempt, max)} attempts): ${lastError.message}`,
      { cause: lastError },
    ),
  );
}
