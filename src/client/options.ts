/**
 * Options of {@link ImapClient}: the connection's options plus reconnection,
 * CONDSTORE/QRESYNC and automatic IDLE.
 */
import type { ConnectOptions } from '../connection/types.js';
import { ImapArgumentError } from '../model/errors.js';

/** Automatic reconnection after the connection drops (not after logout() or close()). */
export interface ReconnectOptions {
  /** Reconnect at all (default true). */
  enabled?: boolean;
  /**
   * Attempts before giving up and closing the client (default 10; `Infinity`
   * never gives up). A refused login ends the attempts at once when it says
   * the credentials were rejected (a NO without a response code, a BAD, or
   * AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, EXPIRED, PRIVACYREQUIRED,
   * CONTACTADMIN), so they are not retried into an account lockout; a
   * refusal with another code (UNAVAILABLE, INUSE, LIMIT, ALERT...) is retried.
   */
  maxAttempts?: number;
  /**
   * Delay before the first attempt (ms, default 250); doubled for each
   * further attempt. At most 2 147 483 647 (2^31 − 1, about 24.8 days, the
   * longest timer Node.js keeps): larger values are lowered to it.
   */
  initialDelayMs?: number;
  /**
   * Cap of the delay between attempts (ms, default 30 000). `Infinity` and
   * values above 2^31 − 1 cap it at 2^31 − 1 (the longest timer Node.js
   * keeps; a longer one would fire at once).
   */
  maxDelayMs?: number;
  /**
   * How long a command issued while the client is reconnecting waits for the
   * reconnection before failing with ImapConnectionError CONNECTION_TIMEOUT
   * (ms, default 60 000). `Infinity` waits as long as the reconnection
   * lasts; finite values above 2^31 − 1 are lowered to it.
   */
  waitTimeoutMs?: number;
}

/** Options of {@link ImapClient}. */
export interface ClientOptions extends Omit<ConnectOptions, 'stream' | 'enable'> {
  /** Automatic reconnection with exponential backoff and jitter; `false` turns it off. */
  reconnect?: ReconnectOptions | boolean;
  /**
   * ENABLE QRESYNC (RFC 7162) after login when the server offers it (default
   * true): reconnections then resynchronise the selected mailbox in one
   * SELECT (VANISHED (EARLIER) and changed flags).
   */
  qresync?: boolean;
  /**
   * ENABLE CONDSTORE after login when offered (default true): MODSEQ values
   * are tracked, and without QRESYNC a reconnection resynchronises with
   * `UID FETCH 1:* (FLAGS) (CHANGEDSINCE modseq)` and a UID SEARCH diff.
   */
  condstore?: boolean;
  /**
   * ENABLE UIDONLY (RFC 9586, capability UIDONLY) after login when offered
   * (default false): the server then names messages by UID only (UIDFETCH
   * for FETCH, VANISHED for EXPUNGE) and keeps no sequence-number map for
   * this session. The client's message methods use UIDs by default; one
   * called with `{ uid: false }` then fails with ImapUidRequiredError before
   * anything is sent, and `flags` events carry `seq` 0.
   */
  uidOnly?: boolean;
  /** Further extensions to ENABLE after login when offered (e.g. `UTF8=ACCEPT`). */
  enable?: string[];
  /**
   * IDLE on the selected mailbox whenever no lock is held and no command
   * runs, so `exists`, `expunge` and `flags` events arrive at once (default
   * false). Commands end IDLE by themselves. A server ending IDLE with a
   * refusal (NO/BAD) is reported through the `error` event and IDLE is
   * tried again after a delay (1 s, doubling per refusal in a row, at most
   * 5 min).
   */
  autoIdle?: boolean;
}

/** {@link ReconnectOptions} with every default applied. @internal */
export interface ResolvedReconnect {
  enabled: boolean;
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  waitTimeoutMs: number;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ImapArgumentError(`reconnect.${name} must be a number >= 0`);
  }
  return value;
}

/** The longest delay Node.js timers keep (2^31 − 1 ms); longer ones fire after 1 ms. @internal */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer delay: Infinity stays (no timer), other values at most {@link MAX_TIMER_MS}. */
function timeout(ms: number): number {
  return ms === Infinity ? ms : Math.min(ms, MAX_TIMER_MS);
}

/** Applies the defaults of {@link ReconnectOptions} and validates them. @internal */
export function resolveReconnect(
  option: ReconnectOptions | boolean | undefined,
): ResolvedReconnect {
  const o: ReconnectOptions =
    option === undefined || option === true ? {} : option === false ? { enabled: false } : option;
  const resolved: ResolvedReconnect = {
    enabled: o.enabled !== false,
    maxAttempts: nonNegative('maxAttempts', o.maxAttempts, 10),
    initialDelayMs: Math.min(nonNegative('initialDelayMs', o.initialDelayMs, 250), MAX_TIMER_MS),
    maxDelayMs: Math.min(nonNegative('maxDelayMs', o.maxDelayMs, 30_000), MAX_TIMER_MS),
    // Infinity: no timer at all (ReadyGate.wait).
    waitTimeoutMs: timeout(nonNegative('waitTimeoutMs', o.waitTimeoutMs, 60_000)),
  };
  if (resolved.maxDelayMs < resolved.initialDelayMs) resolved.maxDelayMs = resolved.initialDelayMs;
  return resolved;
}

/** The options of the client's connections: its own options, with the client's extensions to ENABLE. @internal */
export function connectOptions(options: ClientOptions): ConnectOptions {
  const {
    reconnect: _reconnect,
    qresync: _qresync,
    condstore: _condstore,
    autoIdle: _autoIdle,
    uidOnly: _uidOnly,
    enable: _enable,
    ...connect
  } = options;
  return { ...connect, enable: extensionsToEnable(options) };
}

/** The extensions to ENABLE after login, in order, without duplicates. @internal */
export function extensionsToEnable(options: ClientOptions): string[] {
  const wanted: string[] = [];
  if (options.condstore !== false) wanted.push('CONDSTORE');
  if (options.qresync !== false) wanted.push('QRESYNC');
  if (options.uidOnly === true) wanted.push('UIDONLY');
  for (const e of options.enable ?? []) wanted.push(e.toUpperCase());
  return [...new Set(wanted)];
}
