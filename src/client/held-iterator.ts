/**
 * An async iterator that holds something (the client's mailbox lock) from its
 * first `next()` until it ends: its last item, a failure, or `return()` (a
 * `break` out of `for await`). Under `for await` it behaves like an async
 * generator wrapping the inner iterator with `yield*` inside try/finally, at
 * a fraction of the cost per item: one promise instead of a generator
 * resumption and two. Called by hand, it differs from a generator in two
 * ways: `return()` does not queue behind a pending `next()` (the inner
 * iterator is returned at once and that `next()` resolves as the inner one
 * decides, normally done), and a failure to open rejects every `next()`
 * made while opening, not only the first.
 * @internal
 */

/**
 * Opens the inner iterator; the function returned releases what it holds
 * (idempotent). Concurrent `next()` calls go straight to the inner iterator,
 * so it must answer them in order (the FETCH iterator queues them).
 */
export type OpenHeld<T> = () => Promise<{ iterator: AsyncIterator<T>; release: () => void }>;

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/** See the module comment. @internal */
export class HeldIterator<T> implements AsyncIterableIterator<T> {
  readonly #open: OpenHeld<T>;
  #inner: AsyncIterator<T> | null = null;
  #release: (() => void) | null = null;
  /** The first next() is opening the inner iterator. */
  #opening: Promise<void> | null = null;
  /** Done, failed or returned: every later next() is done. */
  #ended = false;

  constructor(open: OpenHeld<T>) {
    this.#open = open;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, void>> {
    const inner = this.#inner;
    if (inner !== null) return inner.next().then(this.#onResult, this.#onFailure);
    if (this.#ended) return Promise.resolve(DONE);
    this.#opening ??= this.#start();
    return this.#opening.then(() => this.next());
  }

  /** Stops early: the inner iterator is returned (it discards the rest), then released. */
  async return(): Promise<IteratorResult<T, void>> {
    if (this.#opening !== null && this.#inner === null && !this.#ended) {
      await this.#opening.catch(() => undefined);
    }
    this.#ended = true;
    const inner = this.#inner;
    this.#inner = null;
    try {
      if (inner !== null) await inner.return?.();
    } finally {
      this.#finish();
    }
    return DONE;
  }

  /** Ends the iteration like {@link HeldIterator.return}, then rejects with `err`. */
  async throw(err: unknown): Promise<IteratorResult<T, void>> {
    await this.return();
    throw err;
  }

  async #start(): Promise<void> {
    try {
      const { iterator, release } = await this.#open();
      this.#inner = iterator;
      this.#release = release;
    } catch (err) {
      this.#ended = true;
      throw err;
    }
  }

  readonly #onResult = (r: IteratorResult<T>): IteratorResult<T, void> => {
    if (r.done === true) {
      this.#ended = true;
      this.#inner = null;
      this.#finish();
      return DONE;
    }
    return r;
  };

  readonly #onFailure = (err: unknown): never => {
    this.#ended = true;
    this.#inner = null;
    this.#finish();
    throw err;
  };

  #finish(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}
