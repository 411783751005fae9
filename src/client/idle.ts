/**
 * IDLE for the client: keeps the connection idling while nobody holds the
 * mailbox lock, on top of the engine's IDLE session (which already ends IDLE
 * with DONE when a command is queued and re-enters it when the connection
 * is quiet again). Taking a lock stops the session so a lock holder's
 * commands are not interleaved with IDLE/DONE round trips; releasing the
 * last lock starts it again. A server ending IDLE with a refusal (NO/BAD,
 * e.g. `NO [LIMIT]` for too many IDLE sessions) is reported through the
 * client's `error` event and IDLE is tried again after a delay that doubles
 * with each refusal in a row (1 s up to 5 min), never in a tight loop.
 * @internal
 */
import type { ImapConnection } from '../connection/connection.js';
import { ImapProtocolError } from '../model/errors.js';
import type { IdleHandle } from '../connection/idle.js';

/** What the controller needs from the client. @internal */
export interface IdleControllerHost {
  /** The ready connection, or null while connecting, reconnecting or closed. */
  connection(): ImapConnection | null;
  /** Someone holds the mailbox lock. */
  locked(): boolean;
  /** An automatic IDLE failed (reported, not thrown). */
  onError(err: Error): void;
}

/** Delay before idling again after the lock is released (ms). */
const RESUME_DELAY = 50;
/** First delay before idling again after the server refused IDLE (ms); doubles per refusal in a row. */
export const RETRY_DELAY = 1000;
/** Longest delay between tries when the server keeps refusing IDLE (ms). */
export const MAX_RETRY_DELAY = 5 * 60_000;
/** An IDLE that ran this long before its refusal was healthy: the delays start again at {@link RETRY_DELAY}. */
const HEALTHY_MS = 60_000;

/** Keeps one connection idling when wanted and possible. @internal */
export class IdleController {
  readonly #host: IdleControllerHost;
  /** `explicit`: idle() was called; `auto`: the autoIdle option (needs a selected mailbox). */
  #mode: 'off' | 'explicit' | 'auto';
  #handle: IdleHandle | null = null;
  #handleConn: ImapConnection | null = null;
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Refusals of IDLE in a row (see {@link RETRY_DELAY}). */
  #refusals = 0;
  /** dispose() was called: nothing is reported any more (the client closed, maybe on purpose). */
  #disposed = false;

  constructor(host: IdleControllerHost, auto: boolean) {
    this.#host = host;
    this.#mode = auto ? 'auto' : 'off';
  }

  /** IDLE is running on the connection right now. */
  get idling(): boolean {
    return this.#handle?.active === true && this.#handleConn?.closed === false;
  }

  /** Idling is wanted (idle() called or autoIdle), whether or not it runs right now. */
  get wanted(): boolean {
    return this.#mode !== 'off';
  }

  /** Starts idling whenever possible; resolves once IDLE runs (or is deferred by a lock). */
  start(): Promise<void> {
    if (this.#mode === 'off') this.#mode = 'explicit';
    this.#refusals = 0;
    return this.#schedule();
  }

  /** Stops idling (DONE) until start() is called again. */
  stop(): Promise<void> {
    this.#mode = 'off';
    return this.#schedule();
  }

  /** Re-evaluates soon (a lock was released, the client reconnected, a mailbox opened). */
  kick(): void {
    if (this.#mode === 'off' || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#schedule().catch((err: unknown) => {
        if (this.#disposed) return; // failed because the client closed
        this.#host.onError(err instanceof Error ? err : new Error(String(err)));
        // IDLE refused outright (a tagged NO/BAD, no `+`): tried again later,
        // like a refusal of an established IDLE.
        if (err instanceof ImapProtocolError) {
          this.#refusals++;
          this.#retryLater();
        }
      });
    }, RESUME_DELAY);
    this.#timer.unref?.();
  }

  /** Re-evaluates now (a lock was taken: stop idling). */
  pause(): void {
    if (this.#handle === null) return;
    this.#schedule().catch(() => undefined);
  }

  /** The connection is gone: its IDLE session ended with it. */
  connectionLost(): void {
    this.#handle = null;
    this.#handleConn = null;
    this.#refusals = 0;
    // A retry after a refusal waits no longer: the new connection is kicked when ready.
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Stops everything for good (the client closed). */
  dispose(): void {
    this.#disposed = true;
    this.#mode = 'off';
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#handle = null;
    this.#handleConn = null;
  }

  /**
   * The server ended the IDLE session on `conn` with a refusal: report it,
   * then try again later (not at once: a server refusing IDLE would get it
   * again in a loop).
   */
  #refused(conn: ImapConnection, started: number, err: Error): void {
    if (this.#handleConn === conn) {
      this.#handle = null;
      this.#handleConn = null;
    }
    if (this.#disposed) return;
    this.#host.onError(err);
    if (Date.now() - started >= HEALTHY_MS) this.#refusals = 0;
    this.#refusals++;
    this.#retryLater();
  }

  /** Idles again after the refusal delay (a refused try delays the next one further). */
  #retryLater(): void {
    if (this.#mode === 'off') return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const delay = Math.min(RETRY_DELAY * 2 ** (this.#refusals - 1), MAX_RETRY_DELAY);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#schedule().catch((err: unknown) => {
        if (this.#disposed) return; // failed because the client closed
        this.#host.onError(err instanceof Error ? err : new Error(String(err)));
        if (!(err instanceof ImapProtocolError)) return; // not a refusal: the next kick retries
        this.#refusals++;
        this.#retryLater();
      });
    }, delay);
    this.#timer.unref?.();
  }

  #schedule(): Promise<void> {
    const next = this.#chain.then(() => this.#step());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #step(): Promise<void> {
    const conn = this.#host.connection();
    const current = this.#handleConn;
    if (
      this.#handle !== null &&
      (!this.#handle.active || current === null || current !== conn || current.closed)
    ) {
      this.#handle = null;
      this.#handleConn = null;
    }
    const usable =
      conn !== null &&
      !conn.closed &&
      (conn.state === 'selected' || (conn.state === 'authenticated' && this.#mode === 'explicit'));
    const want = this.#mode !== 'off' && usable && !this.#host.locked();
    if (want && this.#handle === null) {
      const started = Date.now();
      const handle = await conn.idle({
        onError: (err) => this.#refused(conn, started, err),
      });
      if (handle.active) {
        this.#handle = handle;
        this.#handleConn = conn;
      }
      // Wanted no longer (a lock was taken meanwhile): the next step stops it.
      if (this.#mode === 'off' || this.#host.locked()) await this.#step();
    } else if (!want && this.#handle !== null) {
      const handle = this.#handle;
      this.#handle = null;
      this.#handleConn = null;
      await handle.done();
    }
  }
}
