import { describe, expect, it } from 'vitest';
import { HeldIterator } from '../../src/client/held-iterator.js';

/** An inner iterator over `items` that fails after them when `failWith` is given. */
function source(items: number[], failWith?: Error) {
  const log: string[] = [];
  let i = 0;
  const iterator: AsyncIterator<number> = {
    next: () => {
      if (i < items.length) return Promise.resolve({ value: items[i++]!, done: false });
      if (failWith !== undefined) return Promise.reject(failWith);
      return Promise.resolve({ value: undefined, done: true });
    },
    return: () => {
      log.push('inner return');
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  return { iterator, log };
}

/** A HeldIterator over `items`, logging when it opens and releases. */
function held(items: number[], failWith?: Error) {
  const { iterator, log } = source(items, failWith);
  const it = new HeldIterator<number>(() => {
    log.push('open');
    return Promise.resolve({ iterator, release: () => log.push('release') });
  });
  return { it, log };
}

describe('HeldIterator: holds from the first next() until the iteration ends', () => {
  it('opens on the first next(), yields every item, and releases once at the end', async () => {
    const { it: iter, log } = held([1, 2, 3]);
    expect(log).toEqual([]);
    const seen: number[] = [];
    for await (const n of iter) {
      seen.push(n);
      expect(log).toEqual(['open']);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(log).toEqual(['open', 'release']);
    expect(await iter.next()).toEqual({ value: undefined, done: true });
    expect(log).toEqual(['open', 'release']);
  });

  it('a break returns the inner iterator, then releases', async () => {
    const { it: iter, log } = held([1, 2, 3]);
    for await (const n of iter) if (n === 2) break;
    expect(log).toEqual(['open', 'inner return', 'release']);
    expect(await iter.next()).toEqual({ value: undefined, done: true });
  });

  it('a failure of the inner iterator is thrown after the items, and releases', async () => {
    const { it: iter, log } = held([1], new Error('boom'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of iter) seen.push(n);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
    expect(log).toEqual(['open', 'release']);
    expect(await iter.next()).toEqual({ value: undefined, done: true });
  });

  it('a failure to open rejects the first next(); later ones are done', async () => {
    const iter = new HeldIterator<number>(() => Promise.reject(new Error('no lock')));
    await expect(iter.next()).rejects.toThrow('no lock');
    expect(await iter.next()).toEqual({ value: undefined, done: true });
  });

  it('return() before any next() opens nothing', async () => {
    const { it: iter, log } = held([1]);
    expect(await iter.return()).toEqual({ value: undefined, done: true });
    expect(await iter.next()).toEqual({ value: undefined, done: true });
    expect(log).toEqual([]);
  });

  it('next() calls made while opening are answered in order', async () => {
    const { it: iter, log } = held([1, 2]);
    const results = await Promise.all([iter.next(), iter.next(), iter.next()]);
    expect(results).toEqual([
      { value: 1, done: false },
      { value: 2, done: false },
      { value: undefined, done: true },
    ]);
    expect(log).toEqual(['open', 'release']);
  });

  it('return() while opening waits for the open, then returns the inner iterator and releases', async () => {
    // An inner iterator like FetchIterator: next() waits for data; return() ends waiting ones.
    const log: string[] = [];
    const waiting: Array<(r: IteratorResult<number>) => void> = [];
    const iterator: AsyncIterator<number> = {
      next: () => new Promise((resolve) => waiting.push(resolve)),
      return: () => {
        log.push('inner return');
        for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    const iter = new HeldIterator<number>(() => {
      log.push('open');
      return Promise.resolve({ iterator, release: () => log.push('release') });
    });
    const first = iter.next();
    await iter.return();
    expect(log).toEqual(['open', 'inner return', 'release']);
    // The pending next() is answered by the inner iterator's return: done, not queued behind.
    expect(await first).toEqual({ value: undefined, done: true });
  });

  it('a failure to open rejects every next() made while opening', async () => {
    const iter = new HeldIterator<number>(() => Promise.reject(new Error('no lock')));
    const results = await Promise.allSettled([iter.next(), iter.next()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await iter.next()).toEqual({ value: undefined, done: true });
  });

  it('throw() ends the iteration like return(), then rejects with the error', async () => {
    const { it: iter, log } = held([1, 2]);
    await iter.next();
    await expect(iter.throw(new Error('stop'))).rejects.toThrow('stop');
    expect(log).toEqual(['open', 'inner return', 'release']);
  });
});
