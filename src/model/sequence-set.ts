import { ImapArgumentError } from './errors.js';

/** One end of a range: a number, or `*` (the largest number in use). */
export type SeqNumber = number | '*';

/** An inclusive range as written on the wire (`start` may be greater than `end`). */
export type SeqRange = readonly [start: SeqNumber, end: SeqNumber];

const MAX_U32 = 0xffffffff;

function checkNumber(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_U32) {
    throw new ImapArgumentError(`invalid sequence number or UID: ${String(n)}`);
  }
  return n;
}

/**
 * A set of message sequence numbers or UIDs (RFC 9051 `sequence-set`), kept
 * as ranges and never expanded eagerly: `1:4294967295` costs one range.
 * `$` (RFC 5182 SEARCHRES) is {@link SequenceSet.saved}.
 */
export class SequenceSet {
  /** The ranges, in the order given. Empty only for the saved-result set `$`. */
  readonly ranges: readonly SeqRange[];
  /** True for `$`, the result saved by SEARCH ... RETURN (SAVE). */
  readonly isSaved: boolean;

  private constructor(ranges: readonly SeqRange[], isSaved: boolean) {
    this.ranges = ranges;
    this.isSaved = isSaved;
  }

  /** `$`: the saved search result (RFC 5182). */
  static readonly saved = new SequenceSet([], true);

  /** `1:*`: every message. */
  static readonly all = new SequenceSet([[1, '*']], false);

  /**
   * Builds a set from a wire string (`1,3:5,7:*`), a number, an array of
   * numbers, or a set. Throws {@link ImapArgumentError} on anything invalid.
   */
  static from(value: string | number | readonly number[] | SequenceSet): SequenceSet {
    if (value instanceof SequenceSet) return value;
    if (typeof value === 'number') return new SequenceSet([[checkNumber(value), value]], false);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new ImapArgumentError('empty sequence set');
      return SequenceSet.fromNumbers(value as readonly number[]);
    }
    return SequenceSet.parse(value as string);
  }

  /** Builds the most compact set of ranges covering the given numbers. */
  static fromNumbers(numbers: readonly number[]): SequenceSet {
    if (numbers.length === 0) throw new ImapArgumentError('empty sequence set');
    const sorted = [...numbers].map(checkNumber).sort((a, b) => a - b);
    const ranges: SeqRange[] = [];
    let start = sorted[0]!;
    let end = start;
    for (let i = 1; i < sorted.length; i++) {
      const n = sorted[i]!;
      if (n === end || n === end + 1) {
        end = n;
        continue;
      }
      ranges.push([start, end]);
      start = end = n;
    }
    ranges.push([start, end]);
    return new SequenceSet(ranges, false);
  }

  /**
   * The union of `sets` (nulls skipped) without expanding them: their ranges
   * side by side, in one pass; null when there are none.
   */
  static union(sets: readonly (SequenceSet | null)[]): SequenceSet | null {
    const present = sets.filter((s): s is SequenceSet => s !== null);
    if (present.length <= 1) return present[0] ?? null;
    return SequenceSet.parse(present.join(','));
  }

  /** Parses wire syntax; throws {@link ImapArgumentError} when malformed. */
  static parse(text: string): SequenceSet {
    if (text === '$') return SequenceSet.saved;
    if (text.length === 0) throw new ImapArgumentError('empty sequence set');
    const ranges: SeqRange[] = [];
    for (const part of text.split(',')) {
      const colon = part.indexOf(':');
      if (colon === -1) {
        const n = parseSeqNumber(part, text);
        ranges.push([n, n]);
      } else {
        ranges.push([
          parseSeqNumber(part.slice(0, colon), text),
          parseSeqNumber(part.slice(colon + 1), text),
        ]);
      }
    }
    return new SequenceSet(ranges, false);
  }

  /** Number of members, or null when a range involves `*`. */
  get size(): number | null {
    let total = 0;
    for (const [a, b] of this.ranges) {
      if (a === '*' || b === '*') return null;
      total += Math.abs(b - a) + 1;
    }
    return total;
  }

  /** True when `n` is in the set (`*` ends count as unbounded). */
  has(n: number): boolean {
    const ranges = this.ranges;
    if (ranges.length > 8) return hasIn((this.#bounds ??= sortedBounds(ranges)), n);
    for (let i = 0; i < ranges.length; i++) {
      const [a, b] = ranges[i]!;
      const lo = a === '*' ? Infinity : a;
      const hi = b === '*' ? Infinity : b;
      if (n >= Math.min(lo, hi) && n <= Math.max(lo, hi)) return true;
    }
    return false;
  }

  /**
   * Whether `n` can be a member, for telling a command's responses from
   * others': as {@link has}, but `$` and a bare `*` (the largest number in
   * use, not known here) may be any number.
   */
  mayContain(n: number): boolean {
    if (this.isSaved || this.has(n)) return true;
    for (const [a, b] of this.ranges) if (a === '*' && b === '*') return true;
    return false;
  }

  /** Sorted, merged [lo, hi] pairs for {@link has} on sets of many ranges (built on first use). */
  #bounds: Float64Array | undefined;

  /**
   * Iterates the members lazily, in range order. Refuses sets with `*` or `$`.
   * Expanding a huge server-sent set is the caller's choice, never automatic.
   */
  *values(): IterableIterator<number> {
    if (this.isSaved) throw new ImapArgumentError('cannot enumerate $, the saved search result');
    for (const [a, b] of this.ranges) {
      if (a === '*' || b === '*') throw new ImapArgumentError('cannot enumerate a set with *');
      const step = a <= b ? 1 : -1;
      for (let n = a; ; n += step) {
        yield n;
        if (n === b) break;
      }
    }
  }

  /** Wire form, e.g. `1:3,5,7:*`. */
  toString(): string {
    if (this.isSaved) return '$';
    const ranges = this.ranges;
    let text = '';
    for (let i = 0; i < ranges.length; i++) {
      const range = ranges[i]!;
      if (i > 0) text += ',';
      text += range[0] === range[1] ? String(range[0]) : `${range[0]}:${range[1]}`;
    }
    return text;
  }

  /** The set as IMAP text (`1:5,9`), so `JSON.stringify` gives the wire form. */
  toJSON(): string {
    return this.toString();
  }
}

function parseSeqNumber(text: string, whole: string): SeqNumber {
  if (text === '*') return '*';
  if (!/^[1-9][0-9]{0,9}$/.test(text)) {
    throw new ImapArgumentError(`invalid sequence set: ${JSON.stringify(whole.slice(0, 80))}`);
  }
  const n = Number(text);
  if (n > MAX_U32) {
    throw new ImapArgumentError(`invalid sequence set: ${JSON.stringify(whole.slice(0, 80))}`);
  }
  return n;
}

/** The ranges as sorted, merged [lo, hi] pairs (`*` as Infinity). */
function sortedBounds(ranges: readonly SeqRange[]): Float64Array {
  const pairs = ranges.map(([a, b]): [number, number] => {
    const x = a === '*' ? Infinity : a;
    const y = b === '*' ? Infinity : b;
    return x <= y ? [x, y] : [y, x];
  });
  pairs.sort((p, q) => p[0] - q[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return Float64Array.from(out);
}

/** Binary search of `n` in sorted, merged bounds. */
function hasIn(bounds: Float64Array, n: number): boolean {
  let lo = 0;
  let hi = bounds.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (n < bounds[2 * mid]!) hi = mid - 1;
    else if (n > bounds[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}
