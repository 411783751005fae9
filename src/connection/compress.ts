/**
 * COMPRESS=DEFLATE (RFC 4978): raw deflate in both directions once the
 * server's tagged OK to `COMPRESS DEFLATE` has been read. Everything after
 * that OK's CRLF is compressed, including bytes already received in the same
 * read; the engine hands those to {@link Compression.input} first.
 *
 * Inflate bombs: inflated bytes go through the same response parser, with
 * the same limits (line length, literal size, nesting, bytes per response),
 * as uncompressed data, and they are produced in bounded chunks and consumed
 * synchronously, so a small compressed input cannot make the engine buffer
 * more than those limits allow. A literal streamed to a command's sink is the
 * consumer's to bound.
 * @internal
 */
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { ImapConnectionError } from '../model/errors.js';

/** How long the inflater may take to hand over what it holds once the server closed (ms). */
const END_GRACE = 1000;

/** The two deflate streams of a compressed connection. */
export interface Compression {
  /** Client → server: write plain bytes, call {@link Compression.flush} after each command. */
  output: zlib.DeflateRaw;
  /** Server → client: write compressed bytes; 'data' gives plain bytes. */
  input: zlib.InflateRaw;
  /** Pushes what was written so far to the server (Z_SYNC_FLUSH, RFC 4978 section 4). */
  flush(): void;
  /** Frees both streams. */
  destroy(): void;
}

/** What a started compression reports to the connection. */
export interface CompressionHandlers {
  /** Inflated bytes from the server. */
  onPlain(plain: Buffer): void;
  /** A stream failed: the connection must close with this error (COMPRESS_INJECTION). */
  onCorrupt(error: ImapConnectionError): void;
  /** The inflater ended after the server closed (see {@link StartedCompression.endInput}). */
  onEnded(): void;
}

/** A compression in place on a connection. */
export interface StartedCompression extends Compression {
  /**
   * The server closed the connection: true once the inflater has handed over
   * everything it held (then the connection may fail what is left). Else it
   * starts ending the inflater — so that a BYE and the last completions
   * still arrive — and `onEnded` is called when it has, or after a second's
   * grace, whichever comes first.
   */
  endInput(): boolean;
  /**
   * Reading is paused: inflated bytes are held back (in order) until
   * {@link StartedCompression.resume}. The inflater stops inflating once it
   * holds one chunk (zlib's back-pressure), so this buffers at most one
   * chunk of output whatever the compressed input holds. Ignored once the
   * server closed: what the inflater holds is handed over then.
   */
  pause(): void;
  /** Hands over again, starting with what was held back. */
  resume(): void;
}

/** Creates the deflate/inflate pair for COMPRESS DEFLATE. */
export function createCompression(): Compression {
  const output = zlib.createDeflateRaw({ level: zlib.constants.Z_DEFAULT_COMPRESSION });
  const input = zlib.createInflateRaw();
  return {
    output,
    input,
    flush(): void {
      if (!output.destroyed) output.flush(zlib.constants.Z_SYNC_FLUSH);
    },
    destroy(): void {
      output.destroy();
      input.destroy();
    },
  };
}

/**
 * Starts COMPRESS DEFLATE on `socket`: what is written to `output` goes out
 * compressed, what arrives on `input` comes back to `handlers.onPlain`.
 */
export function startCompression(
  socket: Writable,
  handlers: CompressionHandlers,
): StartedCompression {
  const compression = createCompression();
  let ending: 'no' | 'ending' | 'ended' = 'no';
  const onError = (err: Error): void =>
    handlers.onCorrupt(
      new ImapConnectionError(
        'COMPRESS_INJECTION',
        `compressed stream is corrupt (uncompressed or injected data after COMPRESS?): ${err.message}`,
        { cause: err },
      ),
    );
  compression.output.on('error', onError);
  compression.input.on('error', (err: Error) => {
    if (ending === 'no') {
      onError(err);
      return;
    }
    // The server closed without a final deflate block: that is only the end.
    ending = 'ended';
    handlers.onEnded();
  });
  compression.output.pipe(socket, { end: false });
  compression.input.on('data', handlers.onPlain);
  return {
    ...compression,
    endInput(): boolean {
      if (ending === 'ended') return true;
      if (ending === 'no') {
        ending = 'ending';
        // Like the socket reader's flush on end: everything, even while paused.
        compression.input.resume();
        // Whichever comes first: the inflater's end, or a second's grace.
        const timer = setTimeout(() => {
          ending = 'ended';
          handlers.onEnded();
        }, END_GRACE);
        timer.unref?.();
        compression.input.once('end', () => {
          clearTimeout(timer);
          ending = 'ended';
          handlers.onEnded();
        });
        compression.input.end();
      }
      return false;
    },
    pause(): void {
      if (ending === 'no') compression.input.pause();
    },
    resume(): void {
      compression.input.resume();
    },
  };
}
