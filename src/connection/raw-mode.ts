/**
 * Raw byte mode (imaplib's send/readline/read): while it is on, the bytes
 * the server sends are queued for {@link RawMode.read} instead of going to
 * the parser.
 */
import { ImapStateError } from '../model/errors.js';

/** The raw-mode buffer of one connection. */
export class RawMode {
  #raw: { chunks: Buffer[]; wake: (() => void) | null } | null = null;

  /** True while in raw byte mode. */
  get active(): boolean {
    return this.#raw !== null;
  }

  /** Enters raw mode (the caller checked that it may). Idempotent. */
  begin(): void {
    if (this.#raw !== null) return;
    this.#raw = { chunks: [], wake: null };
  }

  /** The next bytes received in raw mode; null once `closed()` or raw mode ended. */
  async read(closed: () => boolean): Promise<Buffer | null> {
    const raw = this.#raw;
    if (raw === null) throw new ImapStateError('readRaw() outside raw mode');
    while (raw.chunks.length === 0) {
      // Closed, or raw mode ended meanwhile (its bytes went to the parser).
      if (closed() || this.#raw !== raw) return null;
      await new Promise<void>((resolve) => {
        raw.wake = resolve;
      });
      raw.wake = null;
    }
    return raw.chunks.shift()!;
  }

  /**
   * Leaves raw mode; returns `unconsumed` and everything received since
   * (empty buffers dropped), or null when raw mode was not on.
   */
  end(unconsumed: Buffer): Buffer[] | null {
    const raw = this.#raw;
    if (raw === null) return null;
    this.#raw = null;
    raw.wake?.();
    return [unconsumed, ...raw.chunks].filter((b) => b.length > 0);
  }

  /** Takes bytes from the server; false when not in raw mode (they go to the parser). */
  push(buf: Buffer): boolean {
    const raw = this.#raw;
    if (raw === null) return false;
    raw.chunks.push(buf);
    raw.wake?.();
    return true;
  }

  /** Wakes a pending read (the connection closed). */
  wake(): void {
    this.#raw?.wake?.();
  }
}
