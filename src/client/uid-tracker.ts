/**
 * The UIDs of the selected mailbox, kept up to date from EXPUNGE and EXISTS,
 * for servers without QRESYNC: after a reconnection, what vanished is what
 * the client knew minus what `UID SEARCH ALL` returns now.
 * @internal
 */
import { SequenceSet } from '../model/sequence-set.js';

/**
 * Sequence number → UID map of the selected mailbox. Messages that arrived
 * since the snapshot (EXISTS grew) have UIDs above every known one (RFC 9051
 * 2.3.1.1) and stay unknown until a FETCH names them.
 */
export class UidTracker {
  /** UIDs of messages 1..n, ascending. */
  #uids: number[];
  /** Messages after those, UIDs not known. */
  #unknown = 0;

  /** Starts from the mailbox's UIDs (any order). */
  constructor(uids: Iterable<number>) {
    this.#uids = [...uids].sort((a, b) => a - b);
  }

  /** Known UIDs, ascending. */
  get uids(): readonly number[] {
    return this.#uids;
  }

  /** `* n EXPUNGE`: returns the removed message's UID when known. */
  expunge(seq: number): number | undefined {
    if (seq >= 1 && seq <= this.#uids.length) return this.#uids.splice(seq - 1, 1)[0];
    if (this.#unknown > 0) this.#unknown--;
    return undefined;
  }

  /** `* n EXISTS`. */
  exists(count: number): void {
    const known = this.#uids.length + this.#unknown;
    if (count > known) this.#unknown += count - known;
  }

  /** A FETCH response naming a UID: fills in the next unknown message. */
  fetched(seq: number, uid: number): void {
    if (this.#unknown > 0 && seq === this.#uids.length + 1) {
      const last = this.#uids[this.#uids.length - 1] ?? 0;
      if (uid > last) {
        this.#uids.push(uid);
        this.#unknown--;
      }
    }
  }

  /** The UID of message `seq`, when known. */
  uidOf(seq: number): number | undefined {
    return this.#uids[seq - 1];
  }

  /** Known UIDs missing from `current` (the mailbox's UIDs now), as a set; null when none. */
  vanishedFrom(current: Iterable<number>): SequenceSet | null {
    const now = new Set(current);
    const gone = this.#uids.filter((u) => !now.has(u));
    return gone.length === 0 ? null : SequenceSet.fromNumbers(gone);
  }
}
