/**
 * The pauses taken with `ImapConnection.pauseReading()`. Each belongs to one
 * command (or, taken while nothing is in flight, to the next one sent), and
 * holds only while that command is the only one in flight: a pause can bound
 * a consumer's buffer but never stop the command it bounds, or one queued
 * after it, from completing. (Whether anything is queued is the caller's
 * part of the rule.)
 * @internal
 */
import type { Pending } from './queue.js';

/** One pause: the command it bounds (null: the next one sent). */
export interface Pause {
  owner: Pending | null;
}

/** The pauses currently taken. */
export class ReadPauses {
  readonly #pauses = new Set<Pause>();

  /** Takes a pause for `owner`. */
  take(owner: Pending | null): Pause {
    const pause: Pause = { owner };
    this.#pauses.add(pause);
    return pause;
  }

  /** Releases `pause`; false when it was released already. */
  release(pause: Pause): boolean {
    return this.#pauses.delete(pause);
  }

  /** `p` is being sent: pauses waiting for the next command are now its. */
  claim(p: Pending): void {
    if (this.#pauses.size === 0) return;
    for (const pause of this.#pauses) if (pause.owner === null) pause.owner = p;
  }

  /** Some pause holds with `inFlight` in flight. */
  hold(inFlight: readonly Pending[]): boolean {
    if (this.#pauses.size === 0) return false;
    const only = inFlight.length === 1 ? inFlight[0] : undefined;
    for (const pause of this.#pauses) {
      if (pause.owner === null ? inFlight.length === 0 : pause.owner === only) return true;
    }
    return false;
  }
}
