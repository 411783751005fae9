/**
 * The streaming response parser: bytes from the server in, typed responses
 * out (RFC 9051 / RFC 3501 section 7 and the common extensions).
 *
 * Framing: a response is a line, or lines joined by literals (`{n}` or
 * `~{n}` at the end of a line, then n bytes). Lines end with CRLF; a bare LF
 * is accepted as a line end too (lenient, like most clients; a CR alone is
 * not a line end). Blank lines between responses are skipped. The scan for
 * the line end resumes where it stopped, so many small chunks cost O(n).
 * A response that lies in one chunk is parsed in place (no copy); one that
 * spans chunks is concatenated once.
 *
 * Strictness: the structure of known responses is strict (unbalanced
 * parentheses, a missing string, bytes after a complete response, a bare CR
 * or a NUL in a line, a literal8 outside BINARY / METADATA values are
 * {@link ImapParseError}s that name the bytes and their offset in the
 * response). Harmless server quirks are accepted: extra spaces, missing
 * text after a status, unknown or malformed response codes (kept as `OTHER`),
 * odd BODYSTRUCTURE variants, unknown responses and FETCH items (kept raw).
 */
import { ImapConnectionError, ImapLimitError, ImapParseError } from '../model/errors.js';
import { describeBytes } from './describe-bytes.js';
import type { Response } from '../model/response.js';
import type { LiteralSink, LiteralStartInfo, ParserOptions } from './parser-options.js';
import { canonicalItem } from './parse-fetch.js';
import { parseResponse } from './parse-response.js';
import { Scanner, type LiteralSpan, upperText } from './scanner.js';

const MiB = 1024 * 1024;
/** Responses made of numbers and number sets (lower case), which maxSearchLineLength governs. */
const NUMBER_LIST_RESPONSES = new Set(['search', 'sort', 'esearch', 'vanished']);
/** Digits a literal size may have (leading zeros included) before it is refused unread. */
const MAX_LITERAL_DIGITS = 20;

const EMPTY_LITS: LiteralSpan[] = [];

/**
 * Incremental IMAP response parser. Feed it the server's bytes in chunks of
 * any size, split anywhere; it returns each response once complete.
 *
 * - After a parse or limit error the parser is unusable: every later call
 *   throws.
 * - A literal or quoted byte value (body sections, metadata) is a view into
 *   the received bytes only when it is a large part of the memory that view
 *   would keep alive (a large body); a smaller one is copied, so that
 *   keeping it does not keep a whole read buffer alive (`VIEW_MIN_SHARE` in
 *   scanner.ts: a value keeps at most 8× its size). Do not modify a chunk
 *   after pushing it. `raw` pieces (`keepRaw`) and the bytes written to a
 *   literal sink are always views: copy what you keep.
 * - A literal larger than `streamThreshold` is offered to `literalSink`; when
 *   a sink takes it, its bytes are written to the sink as they arrive and the
 *   section's value is `{ streamed: true, size }`. A streamed literal where a
 *   string is expected (an envelope field, say) reads as ''.
 * - Strings are decoded as UTF-8 (invalid sequences replaced); body section
 *   bytes are kept exact.
 */
export class ResponseParser {
  private readonly maxLine: number;
  private readonly maxSearchLine: number;
  private readonly maxLiteral: number;
  private readonly maxResponse: number;
  private readonly streamThreshold: number;
  private readonly sinkFactory: ((info: LiteralStartInfo) => LiteralSink | null) | undefined;
  private readonly keepRaw: boolean;
  private readonly onResponse: ((response: Response) => void) | undefined;
  private expectGreeting: boolean;
  private readonly scanner = new Scanner();

  /** Pieces of the current response from earlier chunks (streamed literal bytes excluded). */
  private parts: Buffer[] = [];
  private partsLen = 0;
  private lits: LiteralSpan[] = EMPTY_LITS;
  /** Offset (in the response's framed bytes) where the current line starts. */
  private lineStart = 0;
  private inLiteral = false;
  /** Bytes of the current response's buffered literals (its framed bytes minus these are its text). */
  private litBytes = 0;
  /**
   * Whether the current response is a number list (see isNumberList):
   * -1 not decided yet. Decided once per response, so a long line in many
   * small chunks is not re-read from its parts on every chunk.
   */
  private numberList = -1;
  private litRemaining = 0;
  private sink: LiteralSink | null = null;
  private failure: Error | null = null;
  private ended = false;
  /**
   * The framed size in bytes of the response being delivered (the last one
   * completed): its lines, CRLFs and buffered literals, not the bytes of
   * literals streamed to a sink. Read it from `onResponse`.
   */
  responseBytes = 0;

  constructor(options: ParserOptions = {}) {
    this.maxLine = options.maxLineLength ?? 8 * MiB;
    this.maxSearchLine = Math.max(this.maxLine, options.maxSearchLineLength ?? 64 * MiB);
    this.scanner.maxValueBytes = this.maxLine;
    this.maxLiteral = options.maxLiteralSize ?? 64 * MiB;
    this.maxResponse = options.maxResponseBytes ?? 256 * MiB;
    this.scanner.maxDepth = options.maxDepth ?? 64;
    this.streamThreshold = options.streamThreshold ?? Infinity;
    this.sinkFactory = options.literalSink;
    this.keepRaw = options.keepRaw ?? false;
    this.expectGreeting = options.greeting ?? false;
    this.onResponse = options.onResponse;
  }

  /**
   * Feeds the next bytes; returns the responses they complete, in order.
   * Throws {@link ImapParseError} or {@link ImapLimitError} on bad input, after
   * which the parser is unusable.
   */
  push(chunk: Uint8Array): Response[] {
    if (this.failure !== null) {
      throw new ImapParseError(
        `the parser is unusable after an earlier error: ${this.failure.message}`,
        this.failure instanceof ImapParseError ? this.failure.offset : 0,
        { cause: this.failure },
      );
    }
    if (this.ended) {
      throw new ImapConnectionError('CONNECTION_CLOSED', 'push() after end() on a response parser');
    }
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Response[] = [];
    try {
      this.feed(buf, out);
      return out;
    } catch (caught) {
      let err = caught;
      if (err instanceof RangeError && /call stack/i.test(err.message)) {
        // Only reachable with a maxDepth set far above the default.
        err = new ImapLimitError(
          'maxDepth',
          `response nested too deeply to parse: ${err.message}`,
          {
            cause: err,
          },
        );
      }
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.parts = [];
      this.partsLen = 0;
      this.lits = EMPTY_LITS;
      this.litBytes = 0;
      this.sink = null;
      if (err instanceof ImapConnectionError) err.completed = out;
      throw err;
    }
  }

  /** The input is over: throws {@link ImapParseError} if it stopped mid-response. */
  end(): void {
    if (this.failure !== null && !this.ended) {
      this.ended = true;
      return;
    }
    this.ended = true;
    if (this.inLiteral || this.partsLen > 0 || this.lits.length > 0) {
      const where = this.inLiteral
        ? `inside a literal (${this.litRemaining} bytes missing)`
        : 'before the end of the line';
      const head = this.parts.length > 0 ? describeBytes(this.parts[0]!.subarray(0, 48), 48) : '';
      const offset = this.partsLen;
      this.parts = [];
      this.partsLen = 0;
      throw new ImapParseError(
        `input ended mid-response ${where} at offset ${offset} (response starts "${head}")`,
        offset,
      );
    }
  }

  /** True when no partial response is buffered. */
  get idle(): boolean {
    return !this.inLiteral && this.partsLen === 0 && this.lits.length === 0;
  }

  private feed(chunk: Buffer, out: Response[]): void {
    const len = chunk.length;
    let p = 0;
    let seg = 0;
    while (p < len) {
      if (this.inLiteral) {
        const n = Math.min(this.litRemaining, len - p);
        if (this.sink !== null) {
          if (n > 0) this.sink.write(chunk.subarray(p, p + n));
          p += n;
          seg = p;
        } else {
          p += n;
        }
        this.litRemaining -= n;
        if (this.litRemaining === 0) {
          this.inLiteral = false;
          const sink = this.sink;
          if (sink !== null) {
            this.sink = null;
            sink.end();
          }
          this.lineStart = this.partsLen + (p - seg);
        }
        continue;
      }
      const lf = chunk.indexOf(10, p);
      if (lf === -1) {
        const off = this.partsLen + (len - seg);
        this.checkLine(off, chunk, seg);
        p = len;
        break;
      }
      const lfOff = this.partsLen + (lf - seg);
      this.checkLine(lfOff, chunk, seg);
      p = lf + 1;
      let contentEnd = lfOff;
      if (contentEnd > this.lineStart && this.byteAt(chunk, seg, contentEnd - 1) === 13) {
        contentEnd--;
      }
      if (
        contentEnd > this.lineStart &&
        this.byteAt(chunk, seg, contentEnd - 1) === 0x7d &&
        this.literalHeader(chunk, seg, contentEnd, lfOff + 1)
      ) {
        if (this.sink !== null) {
          // The literal's bytes go to the sink, not into the response.
          if (p > seg) {
            this.parts.push(chunk.subarray(seg, p));
            this.partsLen += p - seg;
          }
          seg = p;
        }
        continue;
      }
      // The response is complete.
      if (this.partsLen === 0 && this.lits.length === 0 && !this.keepRaw) {
        // Within this chunk and without literals: parsed in place, no Buffer view.
        const start = seg;
        seg = p;
        this.lineStart = 0;
        this.litBytes = 0;
        this.numberList = -1;
        if (contentEnd > 0) {
          this.responseBytes = p - start;
          const response = this.parseAt(chunk, start, start + contentEnd);
          if (this.onResponse === undefined) out.push(response);
          else this.onResponse(response);
        }
        continue;
      }
      let buf: Buffer;
      const shared = this.partsLen === 0;
      if (shared) {
        buf = chunk.subarray(seg, p);
      } else {
        this.parts.push(chunk.subarray(seg, p));
        buf = Buffer.concat(this.parts, lfOff + 1);
        this.parts = [];
        this.partsLen = 0;
      }
      seg = p;
      const lits = this.lits;
      if (lits.length > 0) this.lits = [];
      this.lineStart = 0;
      this.litBytes = 0;
      this.numberList = -1;
      if (contentEnd > 0) {
        this.responseBytes = buf.length;
        const response = this.parseOne(buf, contentEnd, lits, shared);
        if (this.onResponse === undefined) out.push(response);
        else this.onResponse(response);
      }
    }
    if (seg < len) {
      this.parts.push(chunk.subarray(seg, len));
      this.partsLen += len - seg;
    }
  }

  /**
   * Enforces maxResponseBytes and maxLineLength with the response reaching
   * `off`. maxLineLength bounds the response's text outside buffered
   * literals, its lines together (a line is part of it): a response of many
   * short lines joined by literals (`{0}`) parses into as much memory as
   * one line as long.
   */
  private checkLine(off: number, chunk: Buffer, seg: number): void {
    // First: a number-list line past maxLineLength is still a response.
    if (off > this.maxResponse) {
      throw new ImapLimitError(
        'maxResponseBytes',
        `response longer than ${this.maxResponse} bytes at offset 0 (starts "${this.describeAt(chunk, seg, 0)}")`,
      );
    }
    if (off - this.litBytes > this.maxLine) this.checkText(off, chunk, seg);
  }

  /**
   * The response's text passed maxLineLength: only a number list may go on,
   * up to maxSearchLineLength; else the limit error for the line or for the
   * response's lines together.
   */
  private checkText(off: number, chunk: Buffer, seg: number): void {
    if (off - this.litBytes <= this.maxSearchLine && this.isNumberList(chunk, seg)) return;
    if (off - this.lineStart > this.maxLine) {
      throw new ImapLimitError(
        'maxLineLength',
        `line longer than ${this.maxLine} bytes at offset ${this.lineStart} (starts "${this.describeAt(chunk, seg, this.lineStart)}")`,
      );
    }
    throw new ImapLimitError(
      'maxLineLength',
      `response text outside literals longer than ${this.maxLine} bytes, its lines together, in the line at offset ${this.lineStart} (response starts "${this.describeAt(chunk, seg, 0)}")`,
    );
  }

  /**
   * The current response is a `* SEARCH`, `* SORT`, `* ESEARCH` or
   * `* VANISHED` response: numbers and number sets, so maxSearchLineLength
   * applies to its text instead of maxLineLength (ESEARCH's unknown return
   * data keeps maxLineLength: see Scanner.maxValueBytes). Read only past
   * maxLineLength, once per response.
   */
  private isNumberList(chunk: Buffer, seg: number): boolean {
    if (this.numberList === -1) this.numberList = this.readNumberList(chunk, seg) ? 1 : 0;
    return this.numberList === 1;
  }

  /** The response starts `* SEARCH`, `* SORT`, `* ESEARCH` or `* VANISHED`. */
  private readNumberList(chunk: Buffer, seg: number): boolean {
    if (this.byteAt(chunk, seg, 0) !== 0x2a) return false;
    let name = '';
    for (let i = 2; i < 11; i++) {
      const b = this.byteAt(chunk, seg, i);
      if (b === 0x20 || b === 0x0d || b === -1) break;
      name += String.fromCharCode(b | 0x20);
    }
    return NUMBER_LIST_RESPONSES.has(name);
  }

  /** The byte at `off` in the current response's framed bytes. */
  private byteAt(chunk: Buffer, seg: number, off: number): number {
    if (off >= this.partsLen) return chunk[seg + off - this.partsLen]!;
    let base = this.partsLen;
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const part = this.parts[i]!;
      base -= part.length;
      if (off >= base) return part[off - base]!;
    }
    return -1;
  }

  /** [from, to) of the current response's framed bytes, copied only from the parts needed (rare paths). */
  private slice(chunk: Buffer, seg: number, from: number, to: number): Buffer {
    const out: Buffer[] = [];
    let base = 0;
    for (const part of this.parts) {
      const partEnd = base + part.length;
      if (partEnd > from && base < to) {
        out.push(part.subarray(Math.max(0, from - base), Math.min(part.length, to - base)));
      }
      base = partEnd;
      if (base >= to) break;
    }
    if (to > base) out.push(chunk.subarray(seg + Math.max(0, from - base), seg + (to - base)));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private describeAt(chunk: Buffer, seg: number, from: number): string {
    const avail = this.partsLen + (chunk.length - seg);
    return describeBytes(this.slice(chunk, seg, from, Math.min(avail, from + 48)), 48);
  }

  /**
   * Checks whether the line ending at `contentEnd` (a `}` before it) ends
   * with a literal header; if so records it and enters literal mode.
   */
  private literalHeader(
    chunk: Buffer,
    seg: number,
    contentEnd: number,
    dataStart: number,
  ): boolean {
    const lineStart = this.lineStart;
    let i = contentEnd - 2;
    let digits = 0;
    while (i >= lineStart) {
      const b = this.byteAt(chunk, seg, i);
      if (b < 0x30 || b > 0x39) break;
      digits++;
      i--;
      if (digits > MAX_LITERAL_DIGITS) {
        throw new ImapParseError(
          `literal size with more than ${MAX_LITERAL_DIGITS} digits at offset ${i} (line ends "${this.describeTail(chunk, seg, contentEnd)}")`,
          i,
        );
      }
    }
    if (digits === 0 || i < lineStart || this.byteAt(chunk, seg, i) !== 0x7b) return false;
    const binary = i - 1 >= lineStart && this.byteAt(chunk, seg, i - 1) === 0x7e;
    let size = 0;
    for (let k = i + 1; k < contentEnd - 1; k++)
      size = size * 10 + (this.byteAt(chunk, seg, k) - 0x30);
    if (size > Number.MAX_SAFE_INTEGER) {
      throw new ImapParseError(
        `literal size over 2^53-1 at offset ${i} ("${this.describeTail(chunk, seg, contentEnd)}")`,
        i,
      );
    }
    let sink: LiteralSink | null = null;
    if (size > this.streamThreshold && this.sinkFactory !== undefined) {
      sink = this.sinkFactory(literalStartInfo(this.slice(chunk, seg, 0, contentEnd), size));
    }
    if (sink === null) {
      if (size > this.maxLiteral) {
        throw new ImapLimitError(
          'maxLiteralSize',
          `literal of ${size} bytes over the ${this.maxLiteral}-byte limit at offset ${i} ("${this.describeTail(chunk, seg, contentEnd)}")`,
        );
      }
      if (dataStart + size > this.maxResponse) {
        throw new ImapLimitError(
          'maxResponseBytes',
          `response with a ${size}-byte literal over the ${this.maxResponse}-byte limit at offset ${i} ("${this.describeTail(chunk, seg, contentEnd)}")`,
        );
      }
    }
    if (this.lits === EMPTY_LITS) this.lits = [];
    if (sink === null) this.litBytes += size;
    this.lits.push({
      hdrEnd: contentEnd,
      dataStart,
      dataEnd: sink === null ? dataStart + size : dataStart,
      size,
      binary,
      streamed: sink !== null,
    });
    this.inLiteral = true;
    this.litRemaining = size;
    this.sink = sink;
    if (size === 0) this.lineStart = dataStart;
    return true;
  }

  private describeTail(chunk: Buffer, seg: number, contentEnd: number): string {
    const from = Math.max(this.lineStart, contentEnd - 32);
    return describeBytes(this.slice(chunk, seg, from, contentEnd), 48);
  }

  /** Parses the response at [start, end) of `chunk` (no literals, not kept raw). */
  private parseAt(chunk: Buffer, start: number, end: number): Response {
    const s = this.scanner;
    s.reset(chunk, end, EMPTY_LITS, start, true);
    const r = parseResponse(s);
    if (this.expectGreeting) this.checkGreeting(r, chunk.subarray(start, start + 48));
    return r;
  }

  /** The first response must be a greeting. */
  private checkGreeting(r: Response, head: Buffer): void {
    this.expectGreeting = false;
    if (r.kind !== 'untagged' || (r.name !== 'OK' && r.name !== 'PREAUTH' && r.name !== 'BYE')) {
      throw new ImapParseError(
        `expected a greeting (* OK, * PREAUTH or * BYE) at offset 0 (found "${describeBytes(head, 48)}")`,
        0,
      );
    }
  }

  /**
   * Parses the framed response `buf` (with its literals): a view into a
   * pushed chunk (`shared`) or the response's own concatenation.
   */
  private parseOne(
    buf: Buffer,
    contentEnd: number,
    lits: LiteralSpan[],
    shared: boolean,
  ): Response {
    const s = this.scanner;
    s.reset(buf, contentEnd, lits, 0, shared);
    const r = parseResponse(s);
    if (this.expectGreeting) this.checkGreeting(r, buf.subarray(0, 48));
    if (this.keepRaw) {
      const pieces: Buffer[] = [];
      let t = 0;
      for (const l of lits) {
        pieces.push(buf.subarray(t, l.hdrEnd), buf.subarray(l.dataStart, l.dataEnd));
        t = l.dataEnd;
      }
      pieces.push(buf.subarray(t, contentEnd));
      r.raw = { pieces };
    }
    return r;
  }
}

/** What the literal sink is told: computed from the response's text before the literal. */
export function literalStartInfo(prefix: Buffer, size: number): LiteralStartInfo {
  let seq: number | null = null;
  let name: string | null = null;
  let item: string | null = null;
  let p = 0;
  const n = prefix.length;
  if (prefix[0] === 0x2a && prefix[1] === 0x20) {
    p = 2;
    const numStart = p;
    while (p < n && prefix[p]! >= 0x30 && prefix[p]! <= 0x39 && p - numStart < 11) p++;
    if (p > numStart && prefix[p] === 0x20) {
      const v = Number(prefix.toString('latin1', numStart, p));
      if (v <= 0xffffffff) seq = v;
      p++;
    }
    const nameStart = p;
    while (p < n && prefix[p] !== 0x20 && prefix[p] !== 0x28 && prefix[p] !== 0x0d) p++;
    if (p > nameStart) name = upperText(prefix, nameStart, p);
    if (name !== 'FETCH') seq = null;
  }
  if (name === 'FETCH' || name === 'UIDFETCH') {
    // The token before the literal header: `... BODY[1.2]<0> {123}`.
    let e = n;
    while (e > 0 && prefix[e - 1] !== 0x7b) e--;
    e--;
    if (e > 0 && prefix[e - 1] === 0x7e) e--;
    while (e > 0 && prefix[e - 1] === 0x20) e--;
    let s = e;
    let bracket = 0;
    while (s > 0) {
      const b = prefix[s - 1]!;
      if (b === 0x5d) bracket++;
      else if (b === 0x5b) bracket--;
      else if (bracket === 0 && (b === 0x20 || b === 0x28)) break;
      s--;
    }
    if (s < e) item = canonicalItem(prefix.subarray(s, e));
  }
  return { size, seq, name, item, prefix };
}

export type { LiteralSink, LiteralStartInfo, ParserOptions } from './parser-options.js';
