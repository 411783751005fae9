/**
 * The bytes read in raw mode (`readline()`, `read()`) and not yet returned:
 * appended chunk by chunk, taken from the front. Appending is amortized
 * O(1) per byte (a buffer that doubles when full, instead of concatenating
 * everything held for each chunk) and a line end is searched for only in
 * bytes not searched before, so a server sending a 1 MB line in tiny pieces
 * costs linear work, not quadratic.
 * @internal
 */
export class RawInput {
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Bytes from the front already known to hold no LF. */
  #scanned = 0;

  /** Bytes held. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Adds `chunk` at the end (copied: the caller's buffer is not kept). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const held = this.length;
    if (this.#end + chunk.length > this.#buf.length) {
      const need = held + chunk.length;
      if (need <= this.#buf.length >>> 1) {
        // Room enough once the bytes already taken are dropped.
        this.#buf.copy(this.#buf, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(need * 2, 4096));
        this.#buf.copy(grown, 0, this.#start, this.#end);
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** Where the first LF is (from the front), or -1; bytes searched are not searched again. */
  indexOfLF(): number {
    const from = this.#start + this.#scanned;
    const i = this.#buf.subarray(from, this.#end).indexOf(0x0a);
    if (i === -1) {
      this.#scanned = this.length;
      return -1;
    }
    return this.#scanned + i;
  }

  /** Removes and returns the first `n` bytes (at most what is held), as a Buffer of their own. */
  take(n: number): Buffer {
    const count = Math.min(n, this.length);
    const out = Buffer.from(this.#buf.subarray(this.#start, this.#start + count));
    this.#start += count;
    this.#scanned = Math.max(0, this.#scanned - count);
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    return out;
  }
}
