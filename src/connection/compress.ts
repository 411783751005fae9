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
import zlib from 'node:zlib';

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
