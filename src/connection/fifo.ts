/**
 * A first-in first-out list whose `shift()` costs O(1) at any length. An
 * array's `shift()` does not: once its backing store is in V8's
 * large-object space (above ~16,000 elements) it moves every element, so
 * taking 40,000 queued commands off an array one by one took ~170 ms and
 * 80,000 ~550 ms (quadratic).
 * @internal
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of items. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Adds `item` at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Adds `item` at the front. */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  /** Takes the first item off. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      // Drop the taken half: each item is copied O(1) times on average.
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes `item` wherever it is; false when it is not there. */
  remove(item: T): boolean {
    const i = this.#items.indexOf(item, this.#head);
    if (i === -1) return false;
    this.#items.splice(i, 1);
    return true;
  }

  /** Whether some item satisfies `test`. */
  some(test: (item: T) => boolean): boolean {
    for (let i = this.#head; i < this.#items.length; i++)
      if (test(this.#items[i] as T)) return true;
    return false;
  }

  /** The items, first to last, as a new array. */
  toArray(): T[] {
    return this.#items.slice(this.#head) as T[];
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
