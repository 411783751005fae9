/**
 * The server's greeting (RFC 9051 7.1): waiting for it with a timeout, and
 * what it means (OK and PREAUTH accept the connection, BYE refuses it,
 * anything else is a protocol error).
 * @internal
 */
import { ImapConnectionError } from '../model/errors.js';
import type { UntaggedResponse } from '../model/response.js';
import { timerDelay } from './timer-delay.js';

/** The error of a greeting that is not OK or PREAUTH: BYE refuses, anything else is a protocol error. */
export function refusedGreetingError(r: UntaggedResponse): ImapConnectionError {
  if (r.name === 'BYE') {
    return new ImapConnectionError(
      'CONNECTION_BYE',
      `the server refused the connection: ${r.text}`,
      { serverText: r.text, responseCode: r.code },
    );
  }
  return new ImapConnectionError('PROTOCOL', `unexpected greeting: ${r.name}`);
}

/** Settles the wait for the greeting. */
export interface GreetingSettle {
  resolve(greeting: UntaggedResponse): void;
  reject(err: Error): void;
}

/** The greeting still to come: settled once, by the greeting or by a failure first. */
export class GreetingWaiter {
  readonly #promise: Promise<UntaggedResponse>;
  #settle: GreetingSettle | null = null;

  constructor() {
    this.#promise = new Promise<UntaggedResponse>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#promise.catch(() => undefined);
  }

  /** No greeting (nor failure) yet. */
  get pending(): boolean {
    return this.#settle !== null;
  }

  /** Takes the right to settle it (once): null when it was taken already. */
  take(): GreetingSettle | null {
    const settle = this.#settle;
    this.#settle = null;
    return settle;
  }

  /**
   * The greeting, or a CONNECTION_TIMEOUT error after `timeoutMs` (then
   * `onTimeout` gets the error too, to close the connection).
   */
  wait(
    timeoutMs: number,
    onTimeout: (err: ImapConnectionError) => void,
  ): Promise<UntaggedResponse> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const delay = timerDelay(timeoutMs);
    const timeout = new Promise<never>((_, reject) => {
      if (delay === null) return; // no greeting timeout
      timer = setTimeout(() => {
        const err = new ImapConnectionError(
          'CONNECTION_TIMEOUT',
          `no greeting from the server within ${timeoutMs} ms`,
        );
        reject(err);
        onTimeout(err);
      }, delay);
      timer.unref?.();
    });
    return Promise.race([this.#promise, timeout]).finally(() => clearTimeout(timer));
  }
}
