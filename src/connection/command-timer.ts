/**
 * The command timeout: one timer for the earliest deadline of the commands
 * in flight, running from the last progress (a complete response,
 * {@link PROGRESS_BYTES} of data, or a write of ours), so a server dripping
 * bytes (slowloris) still times out.
 */
import type { ImapConnectionError } from '../model/errors.js';
import { commandTimeoutError, writeTimeoutError } from './errors.js';
import type { Pending } from './queue.js';
import { isUnbounded, MAX_TIMER_MS } from './timer-delay.js';

/** Bytes from the server that count as progress for the command timeout even without a complete response. */
export const PROGRESS_BYTES = 1024;

/** What the timer needs from its connection. */
export interface CommandTimerHost {
  /** The commands in flight, oldest first. */
  inFlight(): readonly Pending[];
  /**
   * The command whose bytes are being written, if any. Once completed (a
   * server may answer NO to a LITERAL+ APPEND before reading its literal)
   * it is no longer in flight, but nothing else can be sent until its write
   * drains: its timeout still runs, so a server that stops reading cannot
   * block the connection forever.
   */
  writing(): Pending | null;
  /** Reading is paused or the connection is closed: no timeout runs. */
  inactive(): boolean;
  /** The timeout fired: close the connection with `err`. */
  onTimeout(err: ImapConnectionError): void;
}

/** The command timer with its progress accounting. */
export class CommandTimer {
  readonly #host: CommandTimerHost;
  readonly #commandTimeout: number;
  /**
   * Last progress: a complete response, literal/bulk data (PROGRESS_BYTES
   * since the previous mark), or a write of ours. The command timeout runs
   * from here, so a server dripping bytes (slowloris) still times out.
   */
  #lastActivity = Date.now();
  /** Last byte from the server (for the timeout message). */
  #lastByte = Date.now();
  #bytesSinceProgress = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDeadline = 0;
  /**
   * A complete response arrived since `#lastActivity` was last set: the
   * clock is read when it matters (arming, firing), not once per response
   * (a FETCH of 100,000 messages is 100,000 responses in a few thousand reads).
   */
  #responded = false;

  constructor(host: CommandTimerHost, commandTimeout: number) {
    this.#host = host;
    this.#commandTimeout = commandTimeout;
  }

  /** A timer is running. */
  get running(): boolean {
    return this.#timer !== null;
  }

  /** Progress now (a write of ours, reading resumed). */
  markActivity(): void {
    this.#responded = false;
    this.#lastActivity = Date.now();
  }

  /** Bytes from the server: progress once PROGRESS_BYTES accumulate. */
  onBytes(length: number): void {
    const now = Date.now();
    this.#lastByte = now;
    this.#bytesSinceProgress += length;
    if (this.#bytesSinceProgress >= PROGRESS_BYTES) {
      this.#lastActivity = now;
      this.#bytesSinceProgress = 0;
    }
  }

  /** A complete response: progress (its time is taken at the next arm or timer check). */
  onResponse(): void {
    this.#responded = true;
    this.#bytesSinceProgress = 0;
  }

  /** Settles a pending response mark: the responses count as progress now. */
  #settle(): void {
    if (this.#responded) {
      this.#responded = false;
      this.#lastActivity = Date.now();
    }
  }

  /**
   * The command timeout in force now, or null when nothing waits on the
   * server with a timeout (a command whose timeout is not finite has none).
   */
  #currentTimeout(): number | null {
    if (this.#host.inactive()) return null;
    let timeout: number | null = null;
    for (const p of this.#host.inFlight()) {
      if (p.hooks.timeoutExempt?.() === true) continue;
      const t = p.options.timeout ?? this.#commandTimeout;
      if (isUnbounded(t)) continue;
      if (timeout === null || t < timeout) timeout = t;
    }
    const writing = this.#completedWriting();
    if (writing !== null) {
      const t = writing.options.timeout ?? this.#commandTimeout;
      if (!isUnbounded(t) && (timeout === null || t < timeout)) timeout = t;
    }
    return timeout;
  }

  /** The command being written when it completed already (so it is no longer in flight). */
  #completedWriting(): Pending | null {
    const writing = this.#host.writing();
    return writing !== null && writing.phase === 'done' ? writing : null;
  }

  /**
   * Arms the command timer for the earliest deadline. With `added` (a
   * command just sent) and a timer running, only that command can bring the
   * deadline forward, so only it is looked at (not all in flight: 2,000
   * pipelined commands would cost 2,000² checks).
   */
  arm(added?: Pending): void {
    this.#settle();
    if (added !== undefined && this.#timer !== null) {
      if (this.#host.inactive() || added.hooks.timeoutExempt?.() === true) return;
      const t = added.options.timeout ?? this.#commandTimeout;
      if (isUnbounded(t) || this.#lastActivity + t >= this.#timerDeadline) return;
    }
    const timeout = this.#currentTimeout();
    if (timeout === null) return; // a running timer re-checks when it fires
    const deadline = this.#lastActivity + timeout;
    if (this.#timer !== null) {
      if (deadline >= this.#timerDeadline) return;
      clearTimeout(this.#timer);
    }
    this.#timerDeadline = deadline;
    // A deadline beyond what a timer keeps: #onTimer finds it not reached and re-arms.
    const delay = Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS);
    this.#timer = setTimeout(this.#onTimer, delay);
    this.#timer.unref?.();
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#settle();
    const timeout = this.#currentTimeout();
    if (timeout === null) return;
    const idle = Date.now() - this.#lastActivity;
    if (idle < timeout) {
      this.arm();
      return;
    }
    const oldest = this.#host.inFlight().find((p) => p.hooks.timeoutExempt?.() !== true);
    const writing = this.#completedWriting();
    if (oldest === undefined && writing !== null) {
      this.#host.onTimeout(writeTimeoutError(timeout, writing));
      return;
    }
    const silent = Date.now() - this.#lastByte >= timeout;
    this.#host.onTimeout(commandTimeoutError(timeout, oldest, silent, this.#bytesSinceProgress));
  };

  /** Stops the timer. */
  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
