/**
 * The UIDs of the selected mailbox, kept up to date from EXPUNGE and EXISTS
 * (VANISHED and UIDFETCH once UIDONLY is enabled, RFC 9586), for servers
 * without QRESYNC: after a reconnection, what vanished is what
 * the client knew minus what `UID SEARCH ALL` returns now.
 * @internal
 */
import { SequenceSet } from '../model/sequence-set.js';
import type { FlagsEvent } from './events.js';

/**
 * Sequence number → UID map of the selected mailbox. Messages that arrived
 * since the snapshot (EXISTS grew) have UIDs above every known one (RFC 9051
 * 2.3.1.1) and stay unknown until a FETCH names them.
 */
export class UidTracker {
  /** UIDs of every message known since the snapshot, ascending, expunged ones included. */
  #all: number[];
  /** Whether each of {@link #all} is still in the mailbox. */
  #alive: Uint8Array;
  /**
   * Fenwick tree of {@link #alive} (1-based): the k-th message is found in
   * O(log n). Removing from a plain array per `* n EXPUNGE` was quadratic
   * (expunging 200,000 messages one response at a time took 10 s).
   */
  #tree: Int32Array;
  /** Messages known (alive). */
  #count = 0;
  /** Messages after those, UIDs not known. */
  #unknown = 0;
  /** EXPUNGEs and VANISHEDs applied so far (see {@link removals}). */
  #removals = 0;

  /** Starts from the mailbox's UIDs (any order). */
  constructor(uids: Iterable<number>) {
    this.#all = [...uids].sort((a, b) => a - b);
    this.#alive = new Uint8Array(0);
    this.#tree = new Int32Array(1);
    this.#rebuild(Math.max(16, this.#all.length));
  }

  /** Known UIDs, ascending. */
  get uids(): readonly number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#all.length; i++) if (this.#alive[i] === 1) out.push(this.#all[i]!);
    return out;
  }

  /**
   * How many EXPUNGE / VANISHED updates were applied: UIDs learned from a
   * command's result ({@link learn}) are only trusted when none came while
   * it ran (an expunge after a SEARCH's data shifts what the UIDs refer to).
   */
  get removals(): number {
    return this.#removals;
  }

  /** `* n EXPUNGE`: returns the removed message's UID when known. */
  expunge(seq: number): number | undefined {
    this.#removals++;
    if (seq >= 1 && seq <= this.#count) {
      const i = this.#find(seq);
      this.#alive[i] = 0;
      this.#add(i, -1);
      this.#count--;
      return this.#all[i];
    }
    // One of the newer messages; none at all past them (nothing to remove).
    if (seq > this.#count && seq <= this.#count + this.#unknown) this.#unknown--;
    return undefined;
  }

  /** `* n EXISTS`. */
  exists(count: number): void {
    const known = this.#count + this.#unknown;
    if (count > known) this.#unknown += count - known;
  }

  /** A FETCH response naming a UID: fills in the next unknown message. */
  fetched(seq: number, uid: number): void {
    if (this.#unknown > 0 && seq === this.#count + 1) {
      const last = this.#all[this.#all.length - 1] ?? 0;
      if (uid > last) {
        if (this.#all.length >= this.#alive.length) this.#rebuild(this.#alive.length * 2);
        const i = this.#all.length;
        this.#all.push(uid);
        this.#alive[i] = 1;
        this.#add(i, 1);
        this.#count++;
        this.#unknown--;
      }
    }
  }

  /**
   * UIDs the client learned otherwise (a UID SEARCH, APPENDUID, COPYUID):
   * those above every known one are newer messages; when they are exactly
   * as many as the unknown ones, they are their UIDs, in order. Only for a
   * command during which no message was removed ({@link removals}).
   */
  learn(uids: readonly number[]): void {
    if (this.#unknown === 0) return;
    const last = this.#all[this.#all.length - 1] ?? 0;
    const above = [...new Set(uids.filter((u) => u > last))].sort((a, b) => a - b);
    if (above.length !== this.#unknown) return;
    for (const u of above) this.fetched(this.#count + 1, u);
  }

  /**
   * A UIDFETCH (UIDONLY, RFC 9586: no sequence number): fills in the next
   * unknown message when `uid` is above every known one (new messages have
   * higher UIDs, RFC 9051 2.3.1.1).
   */
  fetchedUid(uid: number): void {
    this.fetched(this.#count + 1, uid);
  }

  /**
   * `* VANISHED uids` (UIDONLY without QRESYNC, RFC 9586): those messages
   * are gone; a UID above every known one was one of the unknown newer
   * messages.
   */
  vanish(uids: SequenceSet): void {
    this.#removals++;
    const all = this.#all;
    const last = all[all.length - 1] ?? 0;
    for (const [a, b] of uids.ranges) {
      const lo = typeof a === 'number' ? a : last + 1;
      const hi = typeof b === 'number' ? b : 0xffffffff;
      const from = Math.min(lo, hi);
      const to = Math.max(lo, hi);
      for (let i = lowerBound(all, from); i < all.length && all[i]! <= to; i++) {
        if (this.#alive[i] === 1) {
          this.#alive[i] = 0;
          this.#add(i, -1);
          this.#count--;
        }
      }
      if (to > last && this.#unknown > 0) {
        const above = to - Math.max(from, last + 1) + 1;
        this.#unknown = Math.max(0, this.#unknown - above);
      }
    }
  }

  /** The UID of message `seq`, when known. */
  uidOf(seq: number): number | undefined {
    return seq >= 1 && seq <= this.#count ? this.#all[this.#find(seq)] : undefined;
  }

  /** Known UIDs missing from `current` (the mailbox's UIDs now), as a set; null when none. */
  vanishedFrom(current: Iterable<number>): SequenceSet | null {
    const now = new Set(current);
    const gone = this.uids.filter((u) => !now.has(u));
    return gone.length === 0 ? null : SequenceSet.fromNumbers(gone);
  }

  /** Resizes the tree to `capacity` slots and rebuilds it from {@link #alive}, in O(capacity). */
  #rebuild(capacity: number): void {
    const alive = new Uint8Array(capacity);
    if (this.#alive.length === 0) alive.fill(1, 0, this.#all.length);
    else alive.set(this.#alive);
    this.#alive = alive;
    const tree = new Int32Array(capacity + 1);
    let count = 0;
    for (let i = 1; i <= capacity; i++) {
      tree[i] = tree[i]! + alive[i - 1]!;
      count += alive[i - 1]!;
      const parent = i + (i & -i);
      if (parent <= capacity) tree[parent] = tree[parent]! + tree[i]!;
    }
    this.#tree = tree;
    this.#count = count;
  }

  /** Adds `delta` at index `i` (0-based). */
  #add(i: number, delta: number): void {
    const tree = this.#tree;
    for (let j = i + 1; j < tree.length; j += j & -j) tree[j] = tree[j]! + delta;
  }

  /** The 0-based index of the `k`-th alive message (1 ≤ k ≤ count). */
  #find(k: number): number {
    const tree = this.#tree;
    const n = tree.length - 1;
    let pos = 0;
    let step = 1;
    while (step * 2 <= n) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && tree[next]! < k) {
        pos = next;
        k -= tree[next]!;
      }
    }
    return pos; // tree index pos + 1, 0-based pos
  }
}

/** The first index of ascending `all` whose value is ≥ `n`. */
function lowerBound(all: readonly number[], n: number): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (all[mid]! < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Update =
  | { kind: 'expunge'; seq: number }
  | { kind: 'exists'; count: number }
  | { kind: 'vanish'; uids: SequenceSet }
  | { kind: 'fetched'; seq: number | null; uid: number }
  /** SEARCH / ESEARCH data: the snapshot's own, or another command's. */
  | { kind: 'data'; response: object };

/**
 * The mailbox updates a connection reports while the client builds a new
 * state for its mailbox (SELECT, then the UID snapshot), to apply to the
 * tracker built from that snapshot: its UIDs are the mailbox as of the
 * snapshot's SEARCH data, so only what arrived after that data counts (an
 * `* n EXPUNGE` may come before or after it during UID SEARCH, RFC 9051
 * 7.5.1). Which SEARCH data is the snapshot's is settled afterwards, by
 * the responses its commands collected ({@link MailboxUpdateLog.settle}):
 * another command's search results do not count.
 */
export class MailboxUpdateLog {
  /** Hold mailbox events back meanwhile (a resync: they would use the new session's numbering before `resync`). */
  readonly quiet: boolean;
  #updates: Update[] = [];
  /** An EXISTS since {@link begin}: FETCHes may name the new messages. */
  #grown = false;
  #maxUid = 0;
  /** Every UID a (non-EARLIER) VANISHED named, snapshot or not. */
  #vanished: SequenceSet[] = [];
  /** Quiet: unsolicited flag changes held back, numbered as after the updates since. */
  #flags: FlagsEvent[] = [];

  constructor(quiet: boolean) {
    this.quiet = quiet;
  }

  /** The highest UID a FETCH named meanwhile (0 when none). */
  get maxUid(): number {
    return this.#maxUid;
  }

  /** The UIDs every VANISHED named meanwhile (before or after the snapshot), null when none. */
  get vanished(): SequenceSet | null {
    return this.#vanished.length === 0 ? null : SequenceSet.union(this.#vanished);
  }

  /**
   * Quiet: the `flags` events held back, in order, their sequence numbers
   * moved by the EXPUNGEs since (those of expunged or vanished messages
   * left out).
   */
  get heldFlags(): readonly FlagsEvent[] {
    return this.#flags;
  }

  /** Holds an unsolicited flag change back (quiet). */
  holdFlags(event: FlagsEvent): void {
    this.#flags.push(event);
  }

  /** A UID snapshot starts: everything so far came before its data. */
  begin(): void {
    this.#updates = [];
    this.#grown = false;
  }

  /** SEARCH / ESEARCH data arrived (any command's). */
  searchData(response: object): void {
    this.#updates.push({ kind: 'data', response });
  }

  /**
   * The snapshot begun last is complete: `parts` holds, per search it ran
   * (the first one first), its last SEARCH / ESEARCH response (null when
   * it got none). The updates up to the first part's data are in the
   * snapshot and dropped. Returns false, dropping nothing, when an
   * EXPUNGE came between the first part's data and the last one's: each
   * part describes the mailbox at another moment, and an expunge in the
   * lower UIDs (searched later) is in neither the snapshot nor the
   * updates after it — the snapshot must be taken again. (A VANISHED
   * names UIDs, not positions: it applies whatever part it fell in.)
   */
  settle(parts: ReadonlyArray<object | null>): boolean {
    const first = parts[0] ?? null;
    const last = parts[parts.length - 1] ?? null;
    const i = first === null ? -1 : this.#indexOf(first);
    if (i === -1) return true; // no data seen (a broken server): everything counts
    const j = last === null ? -1 : this.#indexOf(last);
    for (let k = i + 1; k < j; k++) if (this.#updates[k]!.kind === 'expunge') return false;
    this.#updates = this.#updates.slice(i + 1);
    return true;
  }

  expunge(seq: number): void {
    this.#updates.push({ kind: 'expunge', seq });
    if (this.#flags.length === 0) return;
    const kept: FlagsEvent[] = [];
    for (const e of this.#flags) {
      if (e.seq === seq) continue; // that message went
      if (e.seq > seq) e.seq--;
      kept.push(e);
    }
    this.#flags = kept;
  }

  exists(count: number): void {
    this.#updates.push({ kind: 'exists', count });
    this.#grown = true;
  }

  vanish(uids: SequenceSet): void {
    this.#updates.push({ kind: 'vanish', uids });
    this.#vanished.push(uids);
    if (this.#flags.length === 0) return;
    // A VANISHED expunges (RFC 7162 3.2.10): held events lose the messages it
    // names and move down by those below them. One without a UID cannot be
    // placed any more (QRESYNC FETCHes carry UIDs; UIDONLY ones have no seq).
    const kept: FlagsEvent[] = [];
    for (const e of this.#flags) {
      if (e.seq === 0) {
        if (e.uid === undefined || !uids.has(e.uid)) kept.push(e);
        continue;
      }
      if (e.uid === undefined || uids.has(e.uid)) continue;
      e.seq -= countBelow(uids, e.uid);
      kept.push(e);
    }
    this.#flags = kept;
  }

  /** A FETCH (`seq` null: a UIDFETCH) naming `uid`. */
  fetched(seq: number | null, uid: number): void {
    if (uid > this.#maxUid) this.#maxUid = uid;
    if (this.#grown) this.#updates.push({ kind: 'fetched', seq, uid });
  }

  /** Applies the updates since the snapshot's data to `tracker`, in order; returns the UIDs expunged. */
  applyTo(tracker: UidTracker): number[] {
    const expunged: number[] = [];
    for (const u of this.#updates) {
      switch (u.kind) {
        case 'expunge': {
          const uid = tracker.expunge(u.seq);
          if (uid !== undefined) expunged.push(uid);
          break;
        }
        case 'exists':
          tracker.exists(u.count);
          break;
        case 'vanish':
          tracker.vanish(u.uids);
          break;
        case 'fetched':
          if (u.seq === null) tracker.fetchedUid(u.uid);
          else tracker.fetched(u.seq, u.uid);
          break;
        case 'data':
          break;
      }
    }
    return expunged;
  }

  #indexOf(response: object): number {
    const updates = this.#updates;
    for (let k = updates.length - 1; k >= 0; k--) {
      const u = updates[k]!;
      if (u.kind === 'data' && u.response === response) return k;
    }
    return -1;
  }
}

/** How many UIDs of `set` are below `uid` (`*` ends a range at `uid`). */
function countBelow(set: SequenceSet, uid: number): number {
  let n = 0;
  for (const [a, b] of set.ranges) {
    const lo = a === '*' ? uid : a;
    const hi = b === '*' ? uid : b;
    const from = Math.min(lo, hi);
    const to = Math.min(Math.max(lo, hi), uid - 1);
    if (to >= from) n += to - from + 1;
  }
  return n;
}
