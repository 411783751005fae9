/**
 * Writing to the server: the first write of a tick at once, the rest of the
 * tick corked so the writes of a burst leave together; back-pressure
 * ('drain') with a bounded buffer; streaming a literal of declared size.
 */
import type { Readable, Writable } from 'node:stream';
import { ImapArgumentError } from '../model/errors.js';
import { closedError } from './errors.js';

/** Bytes a command writer may leave buffered in the socket before it waits for 'drain'. */
export const WRITE_BUFFER_LIMIT = 256 * 1024;

/** Bytes a corked socket collects before they are sent without waiting for the end of the tick. */
export const CORK_FLUSH = 16 * 1024;

/** Settled: `.then()` on it runs a callback once the current job is over, without process.nextTick's bookkeeping. */
const settled = Promise.resolve();

/** What the writer needs from its connection. */
export interface SocketWriterHost {
  /** Where bytes go: the compressor when COMPRESS is active, else the socket. */
  output(): Writable;
  /** The plain socket (only it is corked). */
  socket(): Writable;
  closed(): boolean;
  /** A write of ours counts as progress for the command timeout. */
  onActivity(): void;
}

/** Writes to the server with corking and back-pressure. */
export class SocketWriter {
  readonly #host: SocketWriterHost;
  /**
   * This tick's writes: none yet; one, sent at once; more, corked until the
   * tick ends (a microtask queued by its first write) so that they leave as one.
   */
  #tick: 'idle' | 'wrote' | 'corked' = 'idle';
  /** The stream written to in this tick (uncorked when the tick ends). */
  #tickOutput: Writable | null = null;
  /** Writers waiting for 'drain', rejected when the connection closes. */
  readonly #closeListeners = new Set<(err: Error) => void>();

  constructor(host: SocketWriterHost) {
    this.#host = host;
  }

  /** Writes bytes, waiting for 'drain' when the stream asks to. */
  write(data: Buffer): Promise<void> {
    return this.writeNow(data) ? Promise.resolve() : this.drained();
  }

  /**
   * Writes bytes now; false when the caller must wait for {@link drained}
   * (back-pressure, or the connection is closed). The first write of a tick
   * is sent at once; from the second on, the plain socket is corked until
   * the current job's microtasks have run, so a burst of commands written in one tick goes out in
   * a few writes (TLS records, segments) instead of one each.
   */
  writeNow(data: Buffer): boolean {
    if (this.#host.closed()) return false;
    this.#host.onActivity();
    const out = this.#host.output();
    if (out === this.#host.socket()) {
      if (this.#tick === 'idle') {
        // The first write of a tick goes out as it is: corking a lone
        // command (a round trip) costs more than it saves.
        this.#tick = 'wrote';
        this.#tickOutput = out;
        void settled.then(this.#endTick);
      } else if (this.#tick === 'wrote') {
        this.#tick = 'corked';
        out.cork();
      } else if (out.writableLength >= CORK_FLUSH) {
        // A long burst: let what is written so far leave now (one full TLS
        // record), so the server starts on it while the rest is encoded.
        out.uncork();
        out.cork();
      }
    }
    // A corked socket reaches its 16 KiB high-water mark after ~100 small
    // commands; keep writing up to WRITE_BUFFER_LIMIT so a burst of
    // pipelined commands leaves in one write. write() returned false, so
    // 'drain' will come for the caller that waits.
    return out.write(data) || out.writableLength < WRITE_BUFFER_LIMIT;
  }

  readonly #endTick = (): void => {
    if (this.#tick === 'corked') this.#tickOutput?.uncork();
    this.#tick = 'idle';
    this.#tickOutput = null;
  };

  /** Resolves on 'drain' of the output; rejects when the connection closes first (or is closed). */
  drained(): Promise<void> {
    if (this.#host.closed()) return Promise.reject(closedError());
    const out = this.#host.output();
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#closeListeners.delete(onClose);
        resolve();
      };
      const onClose = (err: Error): void => {
        out.off('drain', onDrain);
        reject(err);
      };
      out.once('drain', onDrain);
      this.#closeListeners.add(onClose);
    });
  }

  /** The connection closed: every writer waiting for 'drain' rejects with `err`. */
  closed(err: Error): void {
    for (const listener of this.#closeListeners) listener(err);
    this.#closeListeners.clear();
  }

  /** Streams a literal, checking it is exactly `size` bytes long. */
  async pipeLiteral(stream: Readable, size: number): Promise<void> {
    let sent = 0;
    for await (const chunk of stream) {
      const buf: Buffer =
        typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
      if (sent + buf.length > size) {
        throw new ImapArgumentError(`a literal stream is longer than its declared ${size} bytes`);
      }
      sent += buf.length;
      await this.write(buf);
      if (this.#host.closed()) throw closedError();
    }
    if (sent !== size) {
      throw new ImapArgumentError(
        `a literal stream ended after ${sent} of its declared ${size} bytes`,
      );
    }
  }
}
