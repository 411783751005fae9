/**
 * Byte-level tokenizer for one framed response (internal to the parser).
 *
 * A {@link Scanner} works on the bytes of one complete response, as framed by
 * the {@link ResponseParser}: the text lines with the literals' bytes in
 * place (streamed literals' bytes absent), the final line terminator
 * excluded. It never decodes more than a leaf value and never allocates per
 * byte.
 */
import { isUtf8 } from 'node:buffer';
import type { RawValue } from '../model/body-structure.js';
import { ImapLimitError, ImapParseError } from '../model/errors.js';
import { describeBytes } from './describe-bytes.js';
import type { StreamedLiteral } from '../model/response.js';

/** Where one literal of a framed response lies (offsets into the framed bytes). */
export interface LiteralSpan {
  /** Offset just after the `}` of the literal's header. */
  hdrEnd: number;
  /** Offset of the literal's first byte. */
  dataStart: number;
  /** Offset after its last byte (equal to dataStart when streamed). */
  dataEnd: number;
  /** Announced size. */
  size: number;
  /** `~{n}` (RFC 3516 literal8). */
  binary: boolean;
  /** The bytes went to a literal sink. */
  streamed: boolean;
}

/** Node's internal fast slicers (present on every Buffer, not in the typings). */
interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const EMPTY = Buffer.alloc(0);

/** 1 for bytes that end an atom: CTLs, SP, `(`, `)`, DEL. */
export const ATOM_STOP = new Uint8Array(256);
/** Same, and `]` (atoms inside a response code). */
export const ATOM_STOP_BRACKET = new Uint8Array(256);
/** 1 for the bytes that end the quick scan of a quoted string: `"`, `\`, CTLs. */
const QUOTED_STOP = new Uint8Array(256);
for (let i = 0; i < 0x20; i++) QUOTED_STOP[i] = 1;
QUOTED_STOP[0x22] = 1;
QUOTED_STOP[0x5c] = 1;
/** Same as ATOM_STOP plus `[` (FETCH item names). */
export const NAME_STOP = new Uint8Array(256);
for (let i = 0; i < 0x20; i++) ATOM_STOP[i] = 1;
ATOM_STOP[0x20] = 1;
ATOM_STOP[0x28] = 1;
ATOM_STOP[0x29] = 1;
ATOM_STOP[0x7f] = 1;
ATOM_STOP_BRACKET.set(ATOM_STOP);
ATOM_STOP_BRACKET[0x5d] = 1;
NAME_STOP.set(ATOM_STOP);
NAME_STOP[0x5b] = 1;

/** Decodes bytes as text: latin1 fast path for ASCII, else UTF-8 (invalid sequences replaced). */
export function decodeText(buf: Buffer, start: number, end: number): string {
  if (end - start === 0) return '';
  for (let i = start; i < end; i++) {
    if (buf[i]! > 0x7f) return (buf as FastBuffer).utf8Slice(start, end);
  }
  return (buf as FastBuffer).latin1Slice(start, end);
}

/** ASCII upper-case of bytes (for keywords; non-ASCII kept). */
export function upperText(buf: Buffer, start: number, end: number): string {
  let needs = false;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x61 && b <= 0x7a) {
      needs = true;
      break;
    }
  }
  const s = decodeText(buf, start, end);
  return needs ? s.toUpperCase() : s;
}

/** Lower-case MIME keywords returned as shared constants (no allocation per use). */
const INTERN: Array<Array<{ bytes: Uint8Array; text: string }> | undefined> = [];
for (const word of [
  'text',
  'plain',
  'html',
  'multipart',
  'mixed',
  'alternative',
  'related',
  'signed',
  'report',
  'application',
  'image',
  'audio',
  'video',
  'message',
  'rfc822',
  'global',
  'delivery-status',
  '7bit',
  '8bit',
  'binary',
  'base64',
  'quoted-printable',
  'pdf',
  'jpeg',
  'png',
  'gif',
  'octet-stream',
  'calendar',
  'enriched',
  'richtext',
  'rtf',
  'zip',
  'msword',
  'pkcs7-signature',
  'charset',
  'name',
  'boundary',
  'format',
  'delsp',
  'filename',
  'size',
  'creation-date',
  'modification-date',
  'read-date',
  'method',
  'type',
  'protocol',
  'micalg',
  'report-type',
  'attachment',
  'inline',
  'utf-8',
  'us-ascii',
  'iso-8859-1',
  'flowed',
]) {
  (INTERN[word.length] ??= []).push({ bytes: Buffer.from(word, 'latin1'), text: word });
}

/** Response names and status words, matched case-insensitively as shared constants. */
const KEYWORDS: Array<Array<{ bytes: Uint8Array; text: string }> | undefined> = [];
for (const word of ['FETCH', 'EXISTS', 'EXPUNGE', 'RECENT', 'OK', 'NO', 'BAD', 'BYE', 'FLAGS']) {
  (KEYWORDS[word.length] ??= []).push({ bytes: Buffer.from(word, 'latin1'), text: word });
}

/**
 * A byte value the parser hands out (a literal, a quoted string's bytes)
 * stays a view into the bytes it was parsed from only when it is at least
 * this share of the memory the view keeps alive; a smaller one is copied
 * ({@link Scanner.bytes}). A view keeps its whole ArrayBuffer alive for as
 * long as the caller keeps the value: a 200-byte header section viewing a
 * connection's 64 KiB read slab would keep 64 KiB (~330×).
 *
 * With one eighth, a value never keeps more than 8× its size alive (a copy
 * under 4 KiB sits in Node's 8 KiB Buffer pool, as any small Buffer does):
 * out of a 64 KiB slab, values under 8 KiB are copied, larger ones stay
 * zero-copy views, as does a body that is most of a concatenated response.
 * A copy costs an allocation and a memcpy; one half (at most 2×) copied the
 * 8-32 KiB bodies of a W2-like fetch too and cost ~8% of W2's client CPU,
 * one eighth ~3% (notes/engine.md, Round 4).
 */
const VIEW_MIN_SHARE = 1 / 8;

const MAX_U32 = 0xffffffff;
const MAX_I63 = 0x7fffffffffffffffn;

/**
 * A tokenizer over one framed response. Reused across responses. Offsets
 * (`pos`, `end`, literal spans) index `buf`; the response starts at `base`
 * (a response without literals is scanned in place in the received chunk).
 * Offsets in errors are relative to the response's start.
 */
export class Scanner {
  buf: Buffer = EMPTY;
  /** Where the response starts in `buf`. */
  base = 0;
  pos = 0;
  end = 0;
  lits: LiteralSpan[] = [];
  litIdx = 0;
  maxDepth = 64;
  /**
   * Longest value read by {@link boundedRaw} (the parser's maxLineLength):
   * a generic value in a response allowed past maxLineLength (ESEARCH's
   * unknown return data) is refused past it, as it is read.
   */
  maxValueBytes = Infinity;
  /** While {@link boundedRaw} reads: its value's name and start, and the offset it may not pass. */
  private boundWhat = '';
  private boundStart = 0;
  private boundEnd = Infinity;
  /**
   * The response's text decoded once as latin1 (empty when its literals are
   * large): leaves are taken from it as substrings. Leaves are only ever
   * produced by scanning loops that stop at NUL, CR and LF.
   */
  text = '';
  /** `text` is set. */
  fast = false;
  /** `text` is set and every text byte is ASCII: substrings are the decoded leaves. */
  ascii = false;
  /**
   * `buf` is a chunk as pushed, whose memory may hold other data (the
   * response was parsed in place), rather than the response's own
   * concatenation: decides what a view keeps alive (see {@link bytes}).
   */
  shared = false;

  /**
   * Starts on the response at [start, end) of `buf` (literal spans need
   * start 0); `shared`: see {@link shared}.
   */
  reset(buf: Buffer, end: number, lits: LiteralSpan[], start = 0, shared = false): void {
    this.buf = buf;
    this.shared = shared;
    this.base = start;
    this.pos = start;
    this.end = end;
    this.lits = lits;
    this.litIdx = 0;
    this.fast = false;
    this.ascii = false;
    this.text = '';
    if (end === start) return;
    if (lits.length === 0) {
      // Not checked for 8-bit bytes as a whole: quoted strings find out while
      // scanning, and the few atoms decoded check their own bytes (leaf()).
      this.fast = true;
      this.text = (buf as FastBuffer).latin1Slice(start, end);
      return;
    }
    if (start !== 0) throw new Error('Scanner.reset: literal spans need the response at offset 0');
    // With small literals: decode all once, check the text between them for 8-bit bytes.
    let total = 0;
    for (let i = 0; i < lits.length; i++) total += lits[i]!.dataEnd - lits[i]!.dataStart;
    if (total > 65536) return;
    let hi = 0;
    let from = 0;
    for (let i = 0; i <= lits.length; i++) {
      const to = i < lits.length ? lits[i]!.hdrEnd : end;
      for (let k = from; k < to; k++) hi |= buf[k]!;
      if (i < lits.length) from = lits[i]!.dataEnd;
    }
    this.fast = true;
    this.ascii = hi <= 0x7f;
    this.text = (buf as FastBuffer).latin1Slice(0, end);
  }

  /** Decodes [s, e) of the response's text (not of a literal). */
  leaf(s: number, e: number): string {
    if (this.ascii) return this.text.substring(s - this.base, e - this.base);
    const buf = this.buf;
    for (let i = s; i < e; i++) {
      if (buf[i]! > 0x7f) return (buf as FastBuffer).utf8Slice(s, e);
    }
    return this.fast
      ? this.text.substring(s - this.base, e - this.base)
      : (buf as FastBuffer).latin1Slice(s, e);
  }

  /** [s, e) lower-cased, as an interned constant when it is a common MIME keyword. */
  lowerLeaf(s: number, e: number): string {
    const cands = INTERN[e - s];
    if (cands !== undefined) {
      const buf = this.buf;
      for (let c = 0; c < cands.length; c++) {
        const cand = cands[c]!;
        let i = 0;
        while (i < cand.bytes.length && (buf[s + i]! | 0x20) === cand.bytes[i]) i++;
        if (i === cand.bytes.length) return cand.text;
      }
    }
    return this.leaf(s, e).toLowerCase();
  }

  /**
   * Scans a quoted string at pos (`"`) without escapes or control bytes;
   * returns the closing quote's offset (content is [pos+1, close)), or -1
   * when the string needs the careful path. Sets `quotedHigh`.
   */
  quickQuoted(): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let hi = 0;
    while (p < end) {
      const b = buf[p]!;
      if (QUOTED_STOP[b] !== 0) {
        if (b !== 0x22) return -1;
        this.quotedHigh = hi > 0x7f;
        return p;
      }
      hi |= b;
      p++;
    }
    return -1;
  }

  /** [s, e) of the response, ASCII upper-cased (keywords); common response names shared. */
  upperLeaf(s: number, e: number): string {
    const buf = this.buf;
    const cands = KEYWORDS[e - s];
    if (cands !== undefined) {
      for (let c = 0; c < cands.length; c++) {
        const bytes = cands[c]!.bytes;
        let i = 0;
        while (i < bytes.length && (buf[s + i]! & 0xdf) === bytes[i]) i++;
        if (i === bytes.length) return cands[c]!.text;
      }
    }
    for (let i = s; i < e; i++) {
      const b = buf[i]!;
      if (b >= 0x61 && b <= 0x7a) return this.leaf(s, e).toUpperCase();
    }
    return this.leaf(s, e);
  }

  /** Throws an {@link ImapParseError} that names the offending bytes and offset. */
  fail(what: string, at: number = this.pos): never {
    const stop = Math.min(this.end, at + 48);
    const shown =
      at >= this.end
        ? 'end of response'
        : `"${describeBytes(this.buf.subarray(at, stop), 48)}${stop < this.end ? '...' : ''}"`;
    const offset = at - this.base;
    throw new ImapParseError(`${what} at offset ${offset} (found ${shown})`, offset);
  }

  /** Enforces maxDepth for a list about to be opened at `depth`. */
  checkDepth(depth: number): void {
    if (depth > this.maxDepth) {
      throw new ImapLimitError(
        'maxDepth',
        `response nests parentheses deeper than ${this.maxDepth} at offset ${this.pos - this.base}`,
      );
    }
  }

  /**
   * Opens a `(` list nested at `depth` (maxDepth checked first); `what`
   * names the expected `(` in the error when it is missing.
   */
  openList(depth: number, what: string): void {
    this.checkDepth(depth);
    this.expect(0x28, what);
    this.skipSpaces();
  }

  /**
   * Before each item of a list opened with {@link openList}: true when an
   * item follows; at the closing `)` consumes it and returns false. The end
   * of the response inside the list fails as `unterminated <what>`.
   */
  nextInList(what: string): boolean {
    this.skipSpaces();
    if (this.pos < this.end && this.buf[this.pos] === 0x29) {
      this.pos++;
      return false;
    }
    if (this.pos >= this.end) this.fail(`unterminated ${what}`);
    return true;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The byte at pos, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** Requires exactly one SP. */
  sp(): void {
    if (this.pos >= this.end || this.buf[this.pos] !== 0x20) this.fail('expected a space');
    this.pos++;
  }

  /** Skips any spaces (lenient separators inside structures). */
  skipSpaces(): void {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    while (p < end && buf[p] === 0x20) p++;
    this.pos = p;
  }

  /** Requires at least one SP, skips extra ones. */
  spaces(): void {
    this.sp();
    this.skipSpaces();
  }

  expect(byte: number, what: string): void {
    if (this.pos >= this.end || this.buf[this.pos] !== byte) this.fail(`expected ${what}`);
    this.pos++;
  }

  /** Skips trailing spaces and requires the end of the response. */
  finish(what: string): void {
    this.skipSpaces();
    if (this.pos < this.end) this.fail(`unexpected bytes after ${what}`);
    if (this.litIdx !== this.lits.length) this.fail(`literal not part of ${what}`);
  }

  /** End offset of an atom starting at pos (`table` says which bytes stop it). */
  atomEnd(table: Uint8Array): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    while (p < end && table[buf[p]!] === 0) p++;
    return p;
  }

  /** An atom (non-empty), decoded. */
  atom(table: Uint8Array = ATOM_STOP): string {
    const s = this.pos;
    const e = this.atomEnd(table);
    if (e === s) this.fail('expected an atom');
    this.pos = e;
    return this.leaf(s, e);
  }

  /** An atom, ASCII upper-cased. */
  keyword(table: Uint8Array = ATOM_STOP): string {
    const s = this.pos;
    const e = this.atomEnd(table);
    if (e === s) this.fail('expected a keyword');
    this.pos = e;
    return this.upperLeaf(s, e);
  }

  /** True when the bytes at pos are `NIL` followed by a delimiter; consumes them. */
  nil(): boolean {
    const buf = this.buf;
    const p = this.pos;
    if (p + 3 > this.end) return false;
    const a = buf[p]! | 0x20;
    if (a !== 0x6e || (buf[p + 1]! | 0x20) !== 0x69 || (buf[p + 2]! | 0x20) !== 0x6c) return false;
    if (p + 3 < this.end && ATOM_STOP_BRACKET[buf[p + 3]!] === 0) return false;
    this.pos = p + 3;
    return true;
  }

  /** A 32-bit unsigned number. */
  number(): number {
    const buf = this.buf;
    const s = this.pos;
    const end = this.end;
    let p = s;
    let n = 0;
    while (p < end) {
      const c = buf[p]!;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
      if (p - s > 10) this.fail('number too long', s);
    }
    if (p === s) this.fail('expected a number');
    if (n > MAX_U32) this.fail('number exceeds 2^32-1', s);
    this.pos = p;
    return n;
  }

  /** A non-zero 32-bit number. */
  nzNumber(): number {
    const s = this.pos;
    const n = this.number();
    if (n === 0) this.fail('expected a non-zero number', s);
    return n;
  }

  /** A number up to 2^53-1 (sizes that may exceed 4 GiB). */
  number53(): number {
    const s = this.pos;
    const n = this.digits(16);
    if (n > Number.MAX_SAFE_INTEGER) this.fail('number exceeds 2^53-1', s);
    return n;
  }

  /**
   * A size that may be out of range: the number when it is at most 2^53-1,
   * else -1 (every digit consumed; the caller keeps the text). For items
   * real servers get wrong (Dovecot 2.3 sends BINARY.SIZE of some
   * quoted-printable parts as a negative size wrapped to 64 bits). Up to 20
   * digits (any 64-bit value); a longer run is still a parse error.
   */
  size53(): number {
    const n = this.digits(20);
    return n > Number.MAX_SAFE_INTEGER ? -1 : n;
  }

  /** One to `max` digits, consumed; their value (exact up to 2^53). */
  private digits(max: number): number {
    const buf = this.buf;
    const s = this.pos;
    const end = this.end;
    let p = s;
    let n = 0;
    while (p < end) {
      const c = buf[p]!;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
      if (p - s > max) this.fail('number too long', s);
    }
    if (p === s) this.fail('expected a number');
    this.pos = p;
    return n;
  }

  /** The bytes between two positions as latin1 text. */
  latin1(start: number, end: number): string {
    return (this.buf as FastBuffer).latin1Slice(start, end);
  }

  /** A 63-bit number as bigint (MODSEQ, quota, Gmail ids). */
  number64(): bigint {
    const buf = this.buf;
    const s = this.pos;
    let p = s;
    while (p < this.end) {
      const c = buf[p]!;
      if (c < 0x30 || c > 0x39) break;
      p++;
      if (p - s > 20) this.fail('number too long', s);
    }
    if (p === s) this.fail('expected a number');
    this.pos = p;
    if (p - s <= 15) {
      let n = 0;
      for (let i = s; i < p; i++) n = n * 10 + (buf[i]! - 0x30);
      return BigInt(n);
    }
    const v = BigInt((buf as FastBuffer).latin1Slice(s, p));
    if (v > MAX_I63) this.fail('number exceeds 2^63-1', s);
    return v;
  }

  /**
   * Scans a quoted string at pos (which is `"`). Returns the content's end;
   * `quotedStart` is its start, `quotedEscapes` whether it has backslashes,
   * `quotedHigh` whether it has 8-bit bytes.
   */
  quotedStart = 0;
  quotedEscapes = false;
  quotedHigh = false;
  scanQuoted(): number {
    const buf = this.buf;
    const end = this.end;
    const s = this.pos + 1;
    let p = s;
    let esc = false;
    let hi = 0;
    for (;;) {
      if (p >= end) this.fail('unterminated quoted string', this.pos);
      const b = buf[p]!;
      if (b === 0x22) break;
      if (b === 0x5c) {
        esc = true;
        p++;
        if (p >= end) this.fail('unterminated quoted string', this.pos);
        const n = buf[p]!;
        if (n === 0x0d || n === 0x0a || n === 0) this.fail('invalid byte in quoted string', p);
        hi |= n;
      } else if (b === 0x0d || b === 0x0a || b === 0) {
        this.fail('invalid byte in quoted string', p);
      } else {
        hi |= b;
      }
      p++;
    }
    this.quotedStart = s;
    this.quotedEscapes = esc;
    this.quotedHigh = hi > 0x7f;
    this.pos = p + 1;
    return p;
  }

  /** The unescaped bytes of a quoted string whose content is [s, e). */
  unescape(s: number, e: number): Buffer {
    const buf = this.buf;
    const out = Buffer.allocUnsafe(e - s);
    let o = 0;
    for (let i = s; i < e; i++) {
      let b = buf[i]!;
      if (b === 0x5c) b = buf[++i]!;
      out[o++] = b;
    }
    return out.subarray(0, o);
  }

  /** Quoted string as text. */
  quoted(): string {
    const close = this.quickQuoted();
    if (close !== -1) {
      const s = this.pos + 1;
      this.pos = close + 1;
      if (this.quotedHigh) return (this.buf as FastBuffer).utf8Slice(s, close);
      return this.fast
        ? this.text.substring(s - this.base, close - this.base)
        : (this.buf as FastBuffer).latin1Slice(s, close);
    }
    const e = this.scanQuoted();
    const s = this.quotedStart;
    if (this.quotedEscapes) return this.unescape(s, e).toString('utf8');
    if (this.quotedHigh) return (this.buf as FastBuffer).utf8Slice(s, e);
    return (this.buf as FastBuffer).latin1Slice(s, e);
  }

  /** NIL, a string or (lenient) an atom, lower-cased; common MIME keywords interned. */
  nstringOrAtomLower(): string | null {
    const b = this.peek();
    if (b === 0x22) {
      const close = this.quickQuoted();
      if (close !== -1) {
        const s = this.pos + 1;
        this.pos = close + 1;
        return this.lowerLeaf(s, close);
      }
      return this.quoted().toLowerCase();
    }
    if (b === 0x7b) return this.string().toLowerCase();
    if (this.nil()) return null;
    if (b === 0x7e && this.buf[this.pos + 1] === 0x7b) this.literal(false);
    const s = this.pos;
    const e = this.atomEnd(ATOM_STOP);
    if (e === s) this.fail('expected a string or NIL');
    this.pos = e;
    return this.lowerLeaf(s, e);
  }

  /**
   * [s, e) of `buf` as a byte value handed out: a view when it is at least
   * {@link VIEW_MIN_SHARE} of the memory the view would keep alive, else a
   * copy (Node puts one under 4 KiB in its 8 KiB Buffer pool).
   *
   * What a view keeps alive: when `buf` is a chunk as pushed ({@link shared}),
   * its whole ArrayBuffer (for a connection, a 64 KiB read slab also holding
   * the responses around this one); when it is the response's concatenation,
   * the concatenation (the response's other bytes and literals), except that
   * Buffer.concat takes one under 4 KiB from Node's pool, where a copy would
   * land as well: nothing is copied out of those.
   */
  bytes(s: number, e: number): Buffer {
    const buf = this.buf;
    const held = this.shared
      ? buf.buffer.byteLength
      : buf.length < Buffer.poolSize >>> 1
        ? 0
        : buf.length;
    const view = buf.subarray(s, e);
    return e - s < held * VIEW_MIN_SHARE ? Buffer.from(view) : view;
  }

  /** Quoted string as exact bytes (a copy or a view, see {@link bytes}). */
  quotedBytes(): Buffer {
    const e = this.scanQuoted();
    const s = this.quotedStart;
    if (this.quotedEscapes) return this.unescape(s, e);
    return this.bytes(s, e);
  }

  /**
   * A literal at pos (`{` or, when allowed, `~{`). Returns its span; pos moves
   * past its data. Checks it against the framer's record.
   */
  literal(allowBinary: boolean): LiteralSpan {
    const buf = this.buf;
    const start = this.pos;
    let binary = false;
    if (buf[this.pos] === 0x7e) {
      if (!allowBinary) this.fail('literal8 (~{n}) is only allowed in BINARY items');
      binary = true;
      this.pos++;
    }
    this.expect(0x7b, 'a literal');
    const ds = this.pos;
    while (this.pos < this.end && buf[this.pos]! >= 0x30 && buf[this.pos]! <= 0x39) this.pos++;
    if (this.pos === ds || this.pos >= this.end || buf[this.pos] !== 0x7d) {
      this.fail('invalid literal header', start);
    }
    this.pos++;
    const lit = this.lits[this.litIdx];
    if (lit === undefined || lit.hdrEnd !== this.pos) {
      this.fail('literal header not at the end of a line', start);
    }
    if (lit.binary !== binary) this.fail('literal kind mismatch', start);
    this.litIdx++;
    this.pos = lit.dataEnd;
    return lit;
  }

  /** A string (quoted or literal) as text; a streamed literal gives ''. */
  string(): string {
    const b = this.peek();
    if (b === 0x22) return this.quoted();
    if (b === 0x7b) {
      const lit = this.literal(false);
      return decodeText(this.buf, lit.dataStart, lit.dataEnd);
    }
    return this.fail('expected a string');
  }

  /** NIL or a string. */
  nstring(): string | null {
    const b = this.peek();
    if (b === 0x22) return this.quoted();
    if (b === 0x7b) {
      const lit = this.literal(false);
      return decodeText(this.buf, lit.dataStart, lit.dataEnd);
    }
    if (this.nil()) return null;
    if (b === 0x7e) this.literal(false);
    return this.fail('expected a string or NIL');
  }

  /**
   * NIL or a string of message data (ENVELOPE fields, BODYSTRUCTURE
   * parameters and descriptions): like {@link nstring}, but a value whose
   * bytes are not UTF-8 (a legacy 8-bit header, `Subject: caf\xe9`) is read
   * as Latin-1, one code point per byte, instead of losing its bytes to
   * U+FFFD: `Buffer.from(value, 'latin1')` gives them back.
   */
  nstringMail(): string | null {
    const b = this.peek();
    if (b === 0x22) {
      const start = this.pos;
      const v = this.quoted();
      // ASCII (the common case) or valid UTF-8: as read.
      if (!this.quotedHigh || v.indexOf('\ufffd') === -1) return v;
      this.pos = start;
      const bytes = this.quotedBytes();
      return isUtf8(bytes) ? v : bytes.toString('latin1');
    }
    if (b === 0x7b) {
      const lit = this.literal(false);
      const v = decodeText(this.buf, lit.dataStart, lit.dataEnd);
      if (v.indexOf('\ufffd') === -1 || isUtf8(this.buf.subarray(lit.dataStart, lit.dataEnd))) {
        return v;
      }
      return (this.buf as FastBuffer).latin1Slice(lit.dataStart, lit.dataEnd);
    }
    return this.nstring();
  }

  /** An atom or a string. */
  astring(table: Uint8Array = ATOM_STOP): string {
    const b = this.peek();
    if (b === 0x22) return this.quoted();
    if (b === 0x7b) {
      const lit = this.literal(false);
      return decodeText(this.buf, lit.dataStart, lit.dataEnd);
    }
    if (b === 0x7e && this.buf[this.pos + 1] === 0x7b) this.literal(false);
    return this.atom(table);
  }

  /**
   * NIL, a quoted string or a literal as bytes (literal8 when allowed; a copy
   * or a view, see {@link bytes}); streamed literals as such.
   */
  nbytes(allowBinary: boolean): Buffer | null | StreamedLiteral {
    const b = this.peek();
    if (b === 0x22) return this.quotedBytes();
    if (b === 0x7b || b === 0x7e) {
      const lit = this.literal(allowBinary);
      if (lit.streamed) return { streamed: true, size: lit.size };
      return this.bytes(lit.dataStart, lit.dataEnd);
    }
    if (this.nil()) return null;
    return this.fail('expected a string or NIL');
  }

  /** The rest of the response as text (resp-text); consumes any literals in it. */
  rest(): string {
    const buf = this.buf;
    const s = this.pos;
    const e = this.end;
    let hi = 0;
    for (let i = s; i < e; i++) {
      const b = buf[i]!;
      if (b === 0) this.fail('NUL byte in response text', i);
      if (b === 0x0d) this.fail('CR byte in response text', i);
      hi |= b;
    }
    this.pos = e;
    this.litIdx = this.lits.length;
    if (s === e) return '';
    return hi > 0x7f ? (buf as FastBuffer).utf8Slice(s, e) : (buf as FastBuffer).latin1Slice(s, e);
  }

  /**
   * An atom as a generic value, keeping `[...]` sections and `<...>` whole
   * (so `BODY[HEADER.FIELDS (A B)]<0>` is one value).
   */
  rawAtom(): string {
    const buf = this.buf;
    const s = this.pos;
    let p = s;
    while (p < this.end) {
      const b = buf[p]!;
      if (b === 0x5b) {
        const close = buf.indexOf(0x5d, p);
        if (close === -1 || close >= this.end) this.fail('unterminated [', p);
        for (let i = p; i < close; i++) {
          const c = buf[i]!;
          if (c === 0 || c === 0x0a || c === 0x0d) this.fail('invalid byte in atom', i);
        }
        p = close + 1;
        continue;
      }
      if (ATOM_STOP[b] !== 0) break;
      p++;
    }
    if (p === s) this.fail('expected a value');
    this.pos = p;
    return this.leaf(s, p);
  }

  /**
   * A generic value: atom/number → string, quoted/literal → Buffer (see
   * {@link bytes}), NIL → null, list → array.
   */
  raw(depth: number): RawValue {
    const b = this.peek();
    if (b === 0x28) return this.rawList(depth + 1);
    if (b === 0x22) return this.quotedBytes();
    if (b === 0x7b || (b === 0x7e && this.buf[this.pos + 1] === 0x7b)) {
      const lit = this.literal(false);
      return this.bytes(lit.dataStart, lit.dataEnd);
    }
    if (this.nil()) return null;
    return this.rawAtom();
  }

  /**
   * {@link raw}, refused with an {@link ImapLimitError} (maxLineLength) once
   * the value spans more than maxValueBytes: checked between list items, so
   * at most that many bytes are parsed; `what` names the value.
   */
  boundedRaw(depth: number, what: string): RawValue {
    const start = this.pos;
    this.boundWhat = what;
    this.boundStart = start;
    this.boundEnd = start + this.maxValueBytes;
    let v: RawValue;
    try {
      v = this.raw(depth);
    } finally {
      this.boundEnd = Infinity; // also when raw() throws: the scanner is reused
    }
    if (this.pos - start > this.maxValueBytes) this.valueTooLong();
    return v;
  }

  private valueTooLong(): never {
    this.boundEnd = Infinity;
    throw new ImapLimitError(
      'maxLineLength',
      `${this.boundWhat} longer than ${this.maxValueBytes} bytes (maxLineLength) at offset ${this.boundStart - this.base}`,
    );
  }

  /** A parenthesised list of generic values at pos (`(`). */
  rawList(depth: number): RawValue[] {
    this.checkDepth(depth);
    this.pos++;
    const out: RawValue[] = [];
    this.skipSpaces();
    while (this.peek() !== 0x29) {
      if (this.pos >= this.end) this.fail('unterminated list');
      if (this.pos > this.boundEnd) this.valueTooLong();
      out.push(this.raw(depth));
      this.skipSpaces();
    }
    this.pos++;
    return out;
  }

  /** Generic values up to the end of the response. */
  rawRest(depth: number): RawValue[] {
    const out: RawValue[] = [];
    this.skipSpaces();
    while (this.pos < this.end) {
      if (this.peek() === 0x29) this.fail('unbalanced )');
      out.push(this.raw(depth));
      this.skipSpaces();
    }
    return out;
  }

  /**
   * `(` flag *(SP flag) `)`: atoms (`\Seen`, `\*`, `$Junk`), strings tolerated.
   * Common flags are shared constants; the array has exactly its items.
   */
  flagList(depth: number, table: Uint8Array = ATOM_STOP): string[] {
    this.checkDepth(depth);
    this.expect(0x28, '(');
    const scratch = this.scratch;
    let n = 0;
    this.skipSpaces();
    while (this.peek() !== 0x29) {
      if (this.pos >= this.end) this.fail('unterminated list');
      const s = this.pos;
      const e = this.atomEnd(table);
      // An atom ends at a delimiter; anything else (a string) takes the general path.
      const flag = e > s ? internedFlag(this.buf, s, e) : undefined;
      if (flag !== undefined) {
        this.pos = e;
        scratch[n++] = flag;
      } else {
        scratch[n++] = this.astring(table);
      }
      this.skipSpaces();
    }
    this.pos++;
    return n === 0 ? [] : n === 1 ? [scratch[0]!] : scratch.slice(0, n);
  }

  /** Reused by {@link flagList} (never re-entered while in use). */
  private readonly scratch: string[] = [];
}

/** Flags seen in almost every FETCH, as shared strings (exact bytes, case kept). */
const FLAGS: Array<Array<{ bytes: Uint8Array; text: string }> | undefined> = [];
for (const flag of [
  '\\Seen',
  '\\Answered',
  '\\Flagged',
  '\\Deleted',
  '\\Draft',
  '\\Recent',
  '$Forwarded',
  '$Junk',
  '$NotJunk',
  'NonJunk',
  'Junk',
  '$MDNSent',
  '$Phishing',
  '\\*',
]) {
  (FLAGS[flag.length] ??= []).push({ bytes: Buffer.from(flag, 'latin1'), text: flag });
}

/** The shared string for the flag at [s, e) when it is a common one. */
function internedFlag(buf: Buffer, s: number, e: number): string | undefined {
  const cands = FLAGS[e - s];
  if (cands === undefined) return undefined;
  for (let c = 0; c < cands.length; c++) {
    const bytes = cands[c]!.bytes;
    let i = 0;
    while (i < bytes.length && buf[s + i] === bytes[i]) i++;
    if (i === bytes.length) return cands[c]!.text;
  }
  return undefined;
}
