/**
 * Mailbox locks: one connection has one selected mailbox, so whoever works
 * on a mailbox holds the client's single lock until done. Requests are
 * granted first come, first served; a task asking for a lock (on any
 * mailbox) waits until the holder releases it.
 */
import type { Readable } from 'node:stream';
import { ImapConnectionError } from '../model/errors.js';

/** Options of {@link ImapClient.getMailboxLock} and {@link ImapClient.mailboxOpen}. */
export interface MailboxOpenOptions {
  /** Open with EXAMINE (no changes possible, `\Seen` not set by reading). */
  readOnly?: boolean;
  /** Stop waiting for the lock. */
  signal?: AbortSignal;
}

/** A held mailbox lock: the mailbox stays selected until {@link MailboxLock.release}. */
export interface MailboxLock {
  /** The locked mailbox (Unicode name as given). */
  readonly path: string;
  /** The mailbox was opened read-only (EXAMINE). */
  readonly readOnly: boolean;
  /** Gives the connection to the next waiter. Idempotent; always call it (try/finally). */
  release(): void;
}

interface Waiter {
  pending: boolean;
  grant: (release: () => void) => void;
  reject: (err: Error) => void;
  cleanup: () => void;
}

/** Callbacks of a {@link LockQueue}. @internal */
export interface LockQueueHooks {
  /** The lock was taken (was free). */
  onBusy?(): void;
  /** The lock became free and nobody waits. */
  onFree?(): void;
}

/**
 * The FIFO mutex behind mailbox locks: at most one holder; waiters are
 * granted in order when the holder releases. @internal
 */
export class LockQueue {
  #held = false;
  /** The holder has its mailbox ready (see {@link LockQueue.markReady}). */
  #ready = false;
  #waiters: Waiter[] = [];
  readonly #hooks: LockQueueHooks;

  constructor(hooks: LockQueueHooks = {}) {
    this.#hooks = hooks;
  }

  /** Someone holds the lock. */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Someone holds the lock and is using it: false from the grant of a
   * `pending` acquisition until {@link LockQueue.markReady}.
   */
  get holderActive(): boolean {
    return this.#held && this.#ready;
  }

  /** The holder of a `pending` acquisition is ready (its mailbox is selected). */
  markReady(): void {
    if (this.#held) this.#ready = true;
  }

  /** Number of tasks waiting for the lock. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for the lock and resolves with its release function (idempotent).
   * Rejects with ImapConnectionError ABORTED when `signal` aborts first.
   * With `pending`, the holder is not {@link holderActive} until
   * {@link markReady} (it is still preparing, e.g. selecting its mailbox).
   */
  acquire(signal?: AbortSignal, pending = false): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (!this.#held) {
      this.#held = true;
      this.#ready = !pending;
      this.#hooks.onBusy?.();
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(abortError(signal!));
      };
      const waiter: Waiter = {
        pending,
        grant: resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Rejects every waiter (the client closed); the holder keeps its (now useless) lock. */
  failWaiters(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.cleanup();
      w.reject(err);
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next === undefined) {
        this.#held = false;
        this.#ready = false;
        this.#hooks.onFree?.();
        return;
      }
      this.#ready = !next.pending;
      next.cleanup();
      next.grant(this.#releaser());
    };
  }
}

function abortError(signal: AbortSignal): ImapConnectionError {
  return new ImapConnectionError('ABORTED', 'waiting for the mailbox lock was aborted', {
    cause: signal.reason,
  });
}

/** Releases a lock once `stream` (a download holding it) ends, closes or fails. @internal */
export function releaseWhenDone(stream: Readable, release: () => void): void {
  let released = false;
  const done = (): void => {
    if (released) return;
    released = true;
    release();
  };
  stream.once('end', done);
  stream.once('close', done);
  stream.once('error', done);
}
