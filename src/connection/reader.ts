/**
 * Reading a socket in batches. Node hands a TLS socket's data over one TLS
 * record at a time (Dovecot sends 4 KiB records: ~12,500 'data' events for
 * a 50 MB message), and every event costs a Buffer, the Readable machinery
 * and a trip through the engine and the parser. With the socket's `onread`
 * option (`net.connect` / `tls.connect`) the bytes are instead copied
 * straight into a large slab, and what arrived during one event-loop turn
 * is handed over as one Buffer in a `setImmediate` callback (a full slab
 * or a lone small read at once, see {@link SMALL_READ}): the same single
 * copy (OpenSSL's output into our memory), a few times fewer deliveries, no
 * per-record Buffer.
 *
 * A slab is never reused: the buffers handed over are views into it, and
 * some of what is made of them may be kept with views into it: a literal
 * value that is at least an eighth of its slab (a smaller one is copied by
 * the parser, so that keeping it does not keep 64 KiB alive:
 * `VIEW_MIN_SHARE` in wire/scanner.ts), and the chunks of a streamed
 * literal (`fetchStream`), which are views.
 * @internal
 */

/** Size of one slab (bytes). */
export const SLAB_SIZE = 64 * 1024;
/**
 * A new slab is started when less than this is left. Small, so little of a
 * slab is wasted: a TLS record that does not fit is handed over in two reads.
 */
const MIN_READ = 1024;

/**
 * A read this small with nothing else pending is handed over at once: it is
 * most likely a whole reply (a round trip), and waiting for the end of the
 * event-loop turn would cost more than it saves.
 */
const SMALL_READ = 1024;

/** The `onread` option of `net.connect` / `tls.connect`. */
export interface OnReadOption {
  buffer: () => Uint8Array;
  callback: (bytesWritten: number, buf: Uint8Array) => boolean;
}

/**
 * Collects a socket's bytes into slabs; {@link BatchedReader.attach} names
 * who receives them. Until then (between the TLS handshake and the
 * connection's set-up) they are kept.
 */
export class BatchedReader {
  #slab = Buffer.allocUnsafe(SLAB_SIZE);
  /** Bytes of the current slab written so far. */
  #end = 0;
  /** Start of the bytes of the current slab not yet handed over. */
  #start = 0;
  /** Earlier pieces not yet handed over (from slabs already full). */
  #held: Buffer[] = [];
  #scheduled = false;
  #paused = false;
  #consumer: ((data: Buffer) => void) | null = null;

  /** The option to give `net.connect` / `tls.connect`. */
  readonly onread: OnReadOption = {
    buffer: () => this.#nextBuffer(),
    callback: (n) => {
      const idle = this.#end === this.#start && this.#held.length === 0;
      this.#end += n;
      if (this.#paused || this.#consumer === null) return true; // kept for resume() / attach()
      if ((idle && n < SMALL_READ) || SLAB_SIZE - this.#end < MIN_READ) {
        // A lone small read (a reply to one command): no batch to wait for.
        // A full slab: hand it over now, so that a consumer (a stream's
        // reader) takes one slab at a time instead of a concatenation.
        this.flush();
      } else {
        this.#schedule();
      }
      return true;
    },
  };

  /** Bytes received and not yet handed over. */
  get pending(): number {
    let n = this.#end - this.#start;
    for (const b of this.#held) n += b.length;
    return n;
  }

  /** From now on, batches go to `consumer` (what arrived before is handed over soon). */
  attach(consumer: (data: Buffer) => void): void {
    this.#consumer = consumer;
    if (this.pending > 0) this.#schedule();
  }

  /**
   * Holds batches back (the socket itself is paused by its owner): what
   * already arrived waits for {@link resume}, except on {@link flush}.
   */
  pause(): void {
    this.#paused = true;
  }

  /** Hands over again, starting with what arrived while paused. */
  resume(): void {
    this.#paused = false;
    if (this.pending > 0) this.#schedule();
  }

  /** Stops handing over; what is pending is dropped. */
  detach(): void {
    this.#consumer = null;
    this.#held = [];
    this.#start = this.#end;
  }

  /**
   * Hands over what is pending now, synchronously, even when paused: called
   * before an 'end', 'close' or 'error' is acted upon, so data the server
   * sent before those is seen first.
   */
  flush(): void {
    const consumer = this.#consumer;
    if (consumer === null) return;
    if (this.#held.length > 0) {
      const held = this.#held;
      this.#held = [];
      for (const piece of held) {
        if (this.#consumer !== consumer) return;
        consumer(piece);
      }
    }
    if (this.#end > this.#start && this.#consumer === consumer) {
      const data = this.#slab.subarray(this.#start, this.#end);
      this.#start = this.#end;
      consumer(data);
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#paused || this.#consumer === null) return;
    this.#scheduled = true;
    setImmediate(this.#onImmediate);
  }

  readonly #onImmediate = (): void => {
    this.#scheduled = false;
    if (!this.#paused) this.flush();
  };

  /** Where the next read goes: the rest of the slab, or a new slab when little is left. */
  #nextBuffer(): Buffer {
    if (SLAB_SIZE - this.#end < MIN_READ) {
      if (this.#end > this.#start) this.#held.push(this.#slab.subarray(this.#start, this.#end));
      this.#slab = Buffer.allocUnsafe(SLAB_SIZE);
      this.#start = 0;
      this.#end = 0;
    }
    return this.#slab.subarray(this.#end);
  }
}
