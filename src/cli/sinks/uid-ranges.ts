/** A growing set of UIDs kept as sorted, merged ranges (what an mbox export has written). */
import { SequenceSet } from '../../index.js';

/** UIDs as sorted, disjoint, non-adjacent `[lo, hi]` ranges; text form `1:10,15`. */
export class UidRanges {
  readonly #ranges: Array<[number, number]> = [];

  /** Parses the text form (any order, overlaps merged); '' is the empty set. Throws when malformed. */
  static parse(text: string): UidRanges {
    const out = new UidRanges();
    if (text === '') return out;
    for (const [a, b] of SequenceSet.parse(text).ranges) {
      if (a === '*' || b === '*') throw new Error(`not a UID set: ${text}`);
      out.addRange(Math.min(a, b), Math.max(a, b));
    }
    return out;
  }

  /** The index of the first range whose end is >= `uid`. */
  #find(uid: number): number {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ranges[mid]![1] < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(uid: number): boolean {
    const r = this.#ranges[this.#find(uid)];
    return r !== undefined && r[0] <= uid;
  }

  add(uid: number): void {
    this.addRange(uid, uid);
  }

  /** Adds `lo..hi` (inclusive), merging with touching ranges. */
  addRange(lo: number, hi: number): void {
    const ranges = this.#ranges;
    const last = ranges[ranges.length - 1];
    if (last === undefined || lo > last[1] + 1) {
      ranges.push([lo, hi]); // the common case: past everything so far
      return;
    }
    const i = this.#find(lo - 1);
    let j = i;
    let start = lo;
    let end = hi;
    while (j < ranges.length && ranges[j]![0] <= hi + 1) {
      start = Math.min(start, ranges[j]![0]);
      end = Math.max(end, ranges[j]![1]);
      j++;
    }
    ranges.splice(i, j - i, [start, end]);
  }

  /** `1:10,15`, '' when empty. */
  toString(): string {
    return this.#ranges.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
  }
}
