/** A growing set of UIDs kept as sorted, merged ranges (what an mbox export has written). */

/** The largest UID (RFC 9051: nz-number, 32 bits). */
const MAX_UID = 0xffffffff;

/** UIDs as sorted, disjoint, non-adjacent `[lo, hi]` ranges; text form `1:10,15`. */
export class UidRanges {
  readonly #ranges: Array<[number, number]> = [];

  /**
   * Parses the text form: UIDs and `a:b` ranges (1 to 2^32-1) separated by
   * commas, in any order, overlaps merged; '' is the empty set. Throws on
   * anything else (`*`, `$`, 0, signs, spaces). Sorts once, so a file of
   * any order costs n log n, never n² inserts.
   */
  static parse(text: string): UidRanges {
    const out = new UidRanges();
    if (text === '') return out;
    const pieces: Array<[number, number]> = [];
    for (const part of text.split(',')) {
      const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(part);
      const a = m === null ? NaN : Number(m[1]);
      const b = m === null ? NaN : Number(m[2] ?? m[1]);
      if (!(a >= 1 && a <= MAX_UID && b >= 1 && b <= MAX_UID)) {
        throw new Error(`not a UID set: ${JSON.stringify(text.slice(0, 80))}`);
      }
      pieces.push(a <= b ? [a, b] : [b, a]);
    }
    pieces.sort((x, y) => x[0] - y[0]);
    for (const [a, b] of pieces) out.addRange(a, b); // in order: each merges with the last or is pushed
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
