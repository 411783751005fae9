/**
 * The messages (UIDs or sequence numbers) a FETCH or STORE took a response
 * for, to tell a second response for one of them (most likely another
 * pipelined command's answer to the same question) from a first.
 *
 * On the FETCH iterator's hot path (W1: 100,000 responses), so while the
 * numbers come in ascending order (as servers send them) they are kept as
 * ascending ranges: a compare and a store per number, nothing allocated for
 * a contiguous run. A number at or below the highest is looked up by binary
 * search; one that is new there (out of order) switches to a Set of every
 * number taken so far (built once, its size the number of responses taken).
 * @internal
 */
export class TakenIds {
  /** Flattened ascending, disjoint [lo, hi] pairs, while {@link #set} is null. */
  #ranges: number[] = [];
  #set: Set<number> | null = null;

  /** Records `id`; false when it was recorded already. */
  add(id: number): boolean {
    const set = this.#set;
    if (set !== null) {
      if (set.has(id)) return false;
      set.add(id);
      return true;
    }
    const r = this.#ranges;
    const n = r.length;
    if (n === 0 || id > r[n - 1]! + 1) {
      r.push(id, id);
      return true;
    }
    if (id === r[n - 1]! + 1) {
      r[n - 1] = id;
      return true;
    }
    if (this.#inRanges(id)) return false;
    const all = new Set<number>();
    for (let i = 0; i < n; i += 2) for (let x = r[i]!; x <= r[i + 1]!; x++) all.add(x);
    all.add(id);
    this.#set = all;
    this.#ranges = [];
    return true;
  }

  /** Whether `id` was recorded. */
  has(id: number): boolean {
    return this.#set !== null ? this.#set.has(id) : this.#inRanges(id);
  }

  #inRanges(id: number): boolean {
    const r = this.#ranges;
    let lo = 0;
    let hi = (r.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (id < r[2 * mid]!) hi = mid - 1;
      else if (id > r[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
