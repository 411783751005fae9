/**
 * IDLE (RFC 2177, RFC 9051 6.3.13) for one connection, with a NOOP-polling
 * fallback for servers without it.
 *
 * An {@link IdleHandle} means "keep this connection idling until `done()`":
 * - IDLE is sent; `idle()` resolves when the server's `+` arrives.
 * - Before `timeouts.idleRestart` (default 25 min, under RFC 2177's 29) IDLE
 *   is ended with DONE and sent again.
 * - A command issued through the connection while idling ends IDLE first
 *   (DONE), then runs; once nothing is queued or in flight any more, IDLE is
 *   entered again automatically (after a short debounce), until `done()`.
 * - Untagged data while idling goes through the normal routing (events such
 *   as `exists` and `expunge`), and to `onUntagged` when given.
 * - A server ending an established IDLE with NO or BAD, refusing the IDLE
 *   re-entered automatically, or a failed poll ends the session: `active`
 *   becomes false and `onError` is told (the connection stays open).
 * @internal
 */
import { ImapProtocolError } from '../model/errors.js';
import type { UntaggedResponse } from '../model/response.js';
import { timerDelay } from './timer-delay.js';
import type { CommandResult } from './types.js';

/** Options of {@link ImapConnection.idle}. */
export interface IdleOptions {
  /** Ends idling like {@link IdleHandle.done}. */
  signal?: AbortSignal;
  /** Every untagged response received while idling (or during a poll). */
  onUntagged?: (response: UntaggedResponse) => void;
  /** Without the IDLE capability: poll with NOOP this often (ms, default 30 000). */
  pollInterval?: number;
  /** Wait this long (ms) after the connection becomes quiet before re-entering IDLE (default 50). */
  resumeDelay?: number;
  /**
   * Idling ended by itself on the server's refusal, with the connection
   * still open: a tagged NO or BAD ending an established IDLE (e.g.
   * `NO [LIMIT]`), an IDLE re-entered automatically refused, or a polling
   * NOOP failed. {@link IdleHandle.active} is false from then on; call
   * `idle()` again to resume. Not called when `idle()` itself rejects, nor
   * when the connection closes (its `close` event tells that).
   */
  onError?: (error: Error) => void;
}

/** An idling connection; see {@link ImapConnection.idle}. */
export interface IdleHandle {
  /** `idle` with the IDLE command, `poll` when polling with NOOP (no IDLE capability). */
  readonly mode: 'idle' | 'poll';
  /**
   * True until `done()` was called, the connection closed, or the server
   * ended idling with a refusal (then {@link IdleOptions.onError} was told).
   */
  readonly active: boolean;
  /** Stops idling: sends DONE when IDLE is active and waits for its tagged OK. Never rejects. */
  done(): Promise<void>;
}

/** Hooks the engine calls for one IDLE command. @internal */
export interface IdleCommandHooks {
  /** The server's `+`: IDLE is established. */
  onContinuation(): void;
  /** An untagged response arrived while this IDLE was in flight. */
  observeUntagged(response: UntaggedResponse): void;
  /** True while the command timeout must not run (IDLE established, DONE not sent). */
  timeoutExempt(): boolean;
}

/** What an {@link IdleSession} needs from the engine. @internal */
export interface IdleHost {
  /** Default idle restart (ms). */
  readonly restartMs: number;
  /** Queues an IDLE command with these hooks. */
  startIdle(hooks: IdleCommandHooks): Promise<CommandResult>;
  /** Writes `DONE`. */
  sendDone(): void;
  /** Runs one NOOP (polling mode). */
  poll(onUntagged: ((response: UntaggedResponse) => void) | undefined): Promise<unknown>;
  /** Nothing queued and nothing in flight. */
  isQuiet(): boolean;
  /** Something is waiting in the queue. */
  hasQueued(): boolean;
  /** The connection can still run commands. */
  usable(): boolean;
  /** The session is over; the engine forgets it. */
  ended(session: IdleSession): void;
}

interface Cycle {
  established: boolean;
  doneSent: boolean;
  restart: boolean;
  completion: Promise<void>;
}

/** One idling session (IDLE or polling). @internal */
export class IdleSession implements IdleHandle {
  readonly mode: 'idle' | 'poll';
  readonly #host: IdleHost;
  readonly #options: IdleOptions;
  #stopped = false;
  #finished = false;
  #cycle: Cycle | null = null;
  #wantResume = false;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #resumeTimer: ReturnType<typeof setTimeout> | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | null = null;
  #pollInFlight: Promise<unknown> | null = null;
  readonly #onAbort = (): void => {
    void this.done();
  };

  constructor(host: IdleHost, options: IdleOptions, mode: 'idle' | 'poll') {
    this.#host = host;
    this.#options = options;
    this.mode = mode;
  }

  get active(): boolean {
    return !this.#stopped && !this.#finished;
  }

  /** Starts idling; resolves when IDLE is established (or polling is scheduled). */
  async start(): Promise<void> {
    const signal = this.#options.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#finish();
        return;
      }
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (this.mode === 'poll') {
      this.#schedulePoll();
      return;
    }
    try {
      await this.#enter();
    } catch (err) {
      this.#finish();
      throw err;
    }
  }

  /** Called by the engine when its queue is blocked behind this IDLE. */
  interrupt(): void {
    const cycle = this.#cycle;
    if (cycle !== null && cycle.established && !cycle.doneSent) this.#sendDone(cycle);
  }

  /** Called by the engine when nothing is queued or in flight. */
  onQuiet(): void {
    if (!this.#wantResume || !this.active || this.#resumeTimer !== null) return;
    const delay = timerDelay(this.#options.resumeDelay ?? 50);
    if (delay === null) return; // never resumed by itself
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = null;
      if (!this.#wantResume || !this.active) return;
      if (!this.#host.usable()) {
        this.#finish();
        return;
      }
      if (!this.#host.isQuiet()) return; // the engine calls onQuiet again later
      this.#wantResume = false;
      this.#enter().catch((err: unknown) => this.#fail(err));
    }, delay);
    this.#resumeTimer.unref?.();
  }

  async done(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#clearTimers();
      const cycle = this.#cycle;
      if (cycle !== null && cycle.established && !cycle.doneSent) this.#sendDone(cycle);
    }
    await this.#pollInFlight?.catch(() => undefined);
    await this.#cycle?.completion.catch(() => undefined);
    this.#finish();
  }

  /** The connection closed: end without sending anything. */
  abandon(): void {
    this.#stopped = true;
    this.#finish();
  }

  #enter(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const cycle: Cycle = {
        established: false,
        doneSent: false,
        restart: false,
        completion: Promise.resolve(),
      };
      this.#cycle = cycle;
      const result = this.#host.startIdle({
        onContinuation: () => {
          if (cycle.established) return;
          cycle.established = true;
          if (!settled) {
            settled = true;
            resolve();
          }
          if (this.#stopped || this.#host.hasQueued()) this.#sendDone(cycle);
          else this.#armRestart(cycle);
        },
        observeUntagged: (response) => this.#options.onUntagged?.(response),
        timeoutExempt: () => cycle.established && !cycle.doneSent,
      });
      cycle.completion = result.then(
        (r) => {
          this.#clearRestart();
          if (this.#cycle === cycle) this.#cycle = null;
          if (r.tagged.status !== 'OK') {
            const err = new ImapProtocolError(r.tagged.status, `IDLE failed: ${r.tagged.text}`, {
              command: r.command,
              serverText: r.tagged.text,
              responseCode: r.tagged.code,
            });
            if (!settled) {
              settled = true;
              reject(err); // the caller of #enter ends the session
              return;
            }
            // Established, then ended by the server: nobody awaits this cycle.
            this.#fail(err);
            return;
          }
          if (!settled) {
            // Completed without a `+` (e.g. DONE raced it): still a success.
            settled = true;
            resolve();
          }
          if (!this.active) {
            this.#finish();
            return;
          }
          if (!this.#host.usable()) {
            this.#finish();
            return;
          }
          if (cycle.restart && this.#host.isQuiet()) {
            this.#enter().catch((err: unknown) => this.#fail(err));
            return;
          }
          this.#wantResume = true;
          if (this.#host.isQuiet()) this.onQuiet();
        },
        (err: unknown) => {
          this.#clearRestart();
          if (this.#cycle === cycle) this.#cycle = null;
          if (!settled) {
            settled = true;
            reject(err); // the caller of #enter ends the session
            return;
          }
          this.#fail(err);
        },
      );
    });
  }

  #sendDone(cycle: Cycle): void {
    if (cycle.doneSent) return;
    cycle.doneSent = true;
    this.#clearRestart();
    this.#host.sendDone();
  }

  #armRestart(cycle: Cycle): void {
    this.#clearRestart();
    const delay = timerDelay(this.#host.restartMs);
    if (delay === null) return; // never restarted
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#cycle !== cycle || cycle.doneSent) return;
      cycle.restart = true;
      this.#sendDone(cycle);
    }, delay);
    this.#restartTimer.unref?.();
  }

  #schedulePoll(): void {
    if (!this.active) return;
    const delay = timerDelay(this.#options.pollInterval ?? 30_000);
    if (delay === null) return; // never polls
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      if (!this.active) return;
      if (!this.#host.usable()) {
        this.#finish();
        return;
      }
      if (!this.#host.isQuiet()) {
        this.#schedulePoll();
        return;
      }
      const poll = this.#host.poll(this.#options.onUntagged);
      this.#pollInFlight = poll;
      poll.then(
        () => {
          this.#pollInFlight = null;
          this.#schedulePoll();
        },
        (err: unknown) => {
          this.#pollInFlight = null;
          this.#fail(err);
        },
      );
    }, delay);
    this.#pollTimer.unref?.();
  }

  #clearRestart(): void {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  #clearTimers(): void {
    this.#clearRestart();
    if (this.#resumeTimer !== null) clearTimeout(this.#resumeTimer);
    this.#resumeTimer = null;
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
    this.#wantResume = false;
  }

  /**
   * Idling ended on its own: ends the session and tells `onError`, unless
   * it was stopped meanwhile or the connection is gone (its close is the news).
   */
  #fail(err: unknown): void {
    const report = this.active && this.#host.usable();
    this.#finish();
    if (!report) return;
    try {
      this.#options.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // A throwing callback must not break the engine.
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopped = true;
    this.#clearTimers();
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#host.ended(this);
  }
}
