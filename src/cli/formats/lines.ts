/**
 * Line-by-line byte transforms for the mail file formats, streaming: only
 * the current line is held (a line longer than {@link MAX_CARRY} is passed
 * on in pieces). Each line is handed over without its LF and with a flag
 * telling whether it had one; a trailing CR stays part of the line.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Longest partial line kept before it is passed on in pieces. */
export const MAX_CARRY = 1024 * 1024;

/**
 * Calls `onLine(line, hasLf, continued)` for each line; `continued` is true
 * for the later pieces of an over-long line (so line-start rules do not
 * apply to them).
 */
export class LineSplitter {
  #carry: Buffer | null = null;
  #continued = false;
  readonly #onLine: (line: Buffer, hasLf: boolean, continued: boolean) => void;

  constructor(onLine: (line: Buffer, hasLf: boolean, continued: boolean) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let data = this.#carry === null ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = null;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl === -1) break;
      this.#onLine(data.subarray(start, nl), true, this.#continued);
      this.#continued = false;
      start = nl + 1;
    }
    data = data.subarray(start);
    if (data.length > MAX_CARRY) {
      // Keep a possible CR at the end with the next piece (it may precede the LF).
      const cut = data[data.length - 1] === 0x0d ? data.length - 1 : data.length;
      this.#onLine(data.subarray(0, cut), false, this.#continued);
      this.#continued = true;
      data = data.subarray(cut);
    }
    if (data.length > 0) this.#carry = Buffer.from(data);
  }

  /** The last line when the input did not end with LF. */
  end(): void {
    if (this.#carry !== null) this.#onLine(this.#carry, false, this.#continued);
    this.#carry = null;
    this.#continued = false;
  }
}

/** The line without a trailing CR. */
export function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d
    ? line.subarray(0, line.length - 1)
    : line;
}

const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');

/** A Transform driven by a per-line function returning the bytes to emit. */
export class LineTransform extends Transform {
  readonly #splitter: LineSplitter;
  readonly #end: (() => Buffer[]) | undefined;

  /** `end` (optional) returns bytes to emit after the last line. */
  constructor(
    map: (line: Buffer, hasLf: boolean, continued: boolean) => Buffer[],
    end?: () => Buffer[],
  ) {
    super();
    this.#end = end;
    this.#splitter = new LineSplitter((line, hasLf, continued) => {
      for (const b of map(line, hasLf, continued)) if (b.length > 0) this.push(b);
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#splitter.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#splitter.end();
      for (const b of this.#end?.() ?? []) if (b.length > 0) this.push(b);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** CRLF (or bare LF) line ends → LF: how mbox and Maildir files store mail. */
export function toLf(): Transform {
  return new LineTransform((line, hasLf) => (hasLf ? [withoutCr(line), LF] : [line]));
}

/** Line ends → CRLF, as IMAP wants messages; the size it yields is {@link crlfSize}. */
export function toCrlf(): Transform {
  return new LineTransform((line, hasLf) => (hasLf ? [withoutCr(line), CRLF] : [line]));
}

/** Counts the bytes {@link toCrlf} turns `chunks` into. */
export async function crlfSize(chunks: AsyncIterable<Buffer>): Promise<number> {
  let size = 0;
  const splitter = new LineSplitter((line, hasLf) => {
    size += hasLf ? withoutCr(line).length + 2 : line.length;
  });
  for await (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return size;
}
