import type { RawFraming } from '../model/response.js';

/** One item of imaplib's response data: bytes, or (line, literal) for a response with a literal. */
export type UntaggedItem = Buffer | [Buffer, Buffer];

/** imaplib's `data` list: items, or null (Python's None) when there was no such response. */
export type ResponseData = Array<UntaggedItem | null>;

/** imaplib's `untagged_responses`: response name → data items, oldest first. */
export type UntaggedResponses = Record<string, UntaggedItem[]>;

const UNTAGGED = /^\* ([A-Z-]+)(?: (.*))?$/s;
const UNTAGGED_STATUS = /^\* (\d+) ([A-Z-]+)(?: (.*))?$/s;
const RESPONSE_CODE = /^\[([A-Z-]+)(?: (.*))?\]/s;

function latin1(b: Buffer): string {
  return b.toString('latin1');
}

function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** A null-prototype record, so server-chosen names can never touch Object.prototype. */
export function emptyResponses(): UntaggedResponses {
  return Object.create(null) as UntaggedResponses;
}

/** imaplib's `_append_untagged`. */
export function appendUntagged(ur: UntaggedResponses, typ: string, dat: UntaggedItem | null): void {
  const item = dat ?? Buffer.alloc(0);
  const list = ur[typ];
  if (list) list.push(item);
  else ur[typ] = [item];
}

/** imaplib's bracketed response-code bookkeeping (`[READ-WRITE]` → `READ-WRITE`: [b'']). */
function recordResponseCode(ur: UntaggedResponses, typ: string, dat: Buffer): void {
  if (typ !== 'OK' && typ !== 'NO' && typ !== 'BAD') return;
  const m = RESPONSE_CODE.exec(latin1(dat));
  if (m) appendUntagged(ur, m[1]!, m[2] === undefined ? null : bytes(m[2]));
}

/**
 * Supplies the bytes of a literal the engine streamed out of the raw framing
 * (its raw piece is then empty), given the size its header announced.
 */
export type LiteralSource = (size: number) => Buffer | undefined;

const EMPTY = Buffer.alloc(0);

/** The size of a `{n}` at the end of `b`, or -1 when `b` does not end with one (the LITERAL regex). */
function literalSize(b: Buffer): number {
  const end = b.length - 1;
  if (end < 2 || b[end] !== 0x7d) return -1;
  let i = end - 1;
  let size = 0;
  let scale = 1;
  while (i >= 0 && b[i]! >= 0x30 && b[i]! <= 0x39) {
    size += (b[i]! - 0x30) * scale;
    scale *= 10;
    i--;
  }
  if (i === end - 1 || i < 0 || b[i] !== 0x7b) return -1;
  return size;
}

function isNameByte(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d;
}

/**
 * The fast path of {@link splitFirst} for the usual shapes (`* NAME rest`,
 * `* NAME`, `* 5 NAME rest`, `* 5 NAME`): the same results as the regexes,
 * on bytes. Returns undefined for anything else, which the regexes decide.
 */
function splitFirstFast(line: Buffer): [string, Buffer] | null | undefined {
  const n = line.length;
  if (n < 3 || line[0] !== 0x2a || line[1] !== 0x20) return undefined;
  let p = 2;
  const c = line[p]!;
  if (c >= 0x30 && c <= 0x39) {
    while (p < n && line[p]! >= 0x30 && line[p]! <= 0x39) p++;
    const numEnd = p;
    if (p >= n || line[p] !== 0x20) return undefined;
    const nameStart = ++p;
    while (p < n && isNameByte(line[p]!)) p++;
    if (p === nameStart || (p < n && line[p] !== 0x20)) return undefined;
    const typ = line.toString('latin1', nameStart, p);
    if (p + 1 >= n) return [typ, Buffer.from(line.subarray(2, numEnd))];
    // `${num} ${rest}`: the number, one space, then the text after the name.
    const restLen = n - (p + 1);
    const numLen = numEnd - 2;
    const out = Buffer.allocUnsafe(numLen + 1 + restLen);
    line.copy(out, 0, 2, numEnd);
    out[numLen] = 0x20;
    line.copy(out, numLen + 1, p + 1, n);
    return [typ, out];
  }
  if (!isNameByte(c)) return undefined;
  while (p < n && isNameByte(line[p]!)) p++;
  if (p < n && line[p] !== 0x20) return undefined;
  const typ = line.toString('latin1', 2, p);
  // A copy: the line is a view into a socket read, which it would keep alive.
  return [typ, p >= n ? EMPTY : Buffer.from(line.subarray(p + 1))];
}

/**
 * A copy of a raw piece (a view into the socket's read buffer: kept as it
 * is, the whole read would stay alive as long as the caller keeps the data).
 */
function own(piece: Buffer | undefined): Buffer {
  return piece === undefined || piece.length === 0 ? EMPTY : Buffer.from(piece);
}

/** Splits the first line of an untagged response into its name and data (CPython's two regexes). */
function splitFirst(line: Buffer): [string, Buffer] | null {
  const fast = splitFirstFast(line);
  if (fast !== undefined) return fast;
  const first = latin1(line);
  let m = UNTAGGED.exec(first);
  if (m) return [m[1]!, bytes(m[2] ?? '')];
  m = UNTAGGED_STATUS.exec(first);
  if (!m) return null;
  return [m[2]!, bytes(m[3] ? `${m[1]!} ${m[3]}` : m[1]!)];
}

/**
 * Records an untagged response exactly as CPython's `_get_response` does:
 * `* NAME data` → NAME: data; `* 5 NAME data` → NAME: `5 data`; each literal
 * adds a (line, literal) pair and the text after it continues the data.
 * A literal whose raw piece is empty while its header announces bytes was
 * streamed by the engine; `streamed` supplies it.
 * Returns the response name, or null when the line is not an untagged response.
 */
export function recordUntagged(
  ur: UntaggedResponses,
  raw: RawFraming,
  streamed?: LiteralSource,
): string | null {
  const pieces = raw.pieces;
  const split = splitFirst(pieces[0]!);
  if (split === null) return null;
  const typ = split[0];
  let dat = split[1];
  let i = 1;
  let size: number;
  while (i < pieces.length && (size = literalSize(dat)) >= 0) {
    let lit = pieces[i]!;
    if (lit.length === 0 && size > 0 && streamed) lit = streamed(size) ?? lit;
    else lit = own(lit); // a literal the parser kept: a view into the read
    appendUntagged(ur, typ, [dat, lit]);
    dat = own(pieces[i + 1]);
    i += 2;
  }
  appendUntagged(ur, typ, dat);
  recordResponseCode(ur, typ, dat);
  return typ;
}

/**
 * The tag regex (`^\S+ ([A-Z]+) (.*)$`) on bytes for the usual line, a tag
 * of printable ASCII: undefined when the line has another shape.
 */
function splitTaggedFast(line: Buffer): [string, Buffer] | undefined {
  const n = line.length;
  let p = 0;
  while (p < n && line[p]! > 0x20 && line[p]! < 0x7f) p++;
  if (p === 0 || p >= n || line[p] !== 0x20) return undefined;
  const start = ++p;
  while (p < n && line[p]! >= 0x41 && line[p]! <= 0x5a) p++;
  if (p === start || p >= n || line[p] !== 0x20) return undefined;
  return [line.toString('latin1', start, p), Buffer.from(line.subarray(p + 1))];
}

/**
 * Splits a tagged response line as CPython's tag regex does and records its
 * response code. Returns imaplib's (typ, [data]).
 */
export function recordTagged(
  ur: UntaggedResponses,
  raw: RawFraming,
  fallback: { status: string; text: string },
): [string, ResponseData] {
  const line = raw.pieces[0]!;
  const fast = splitTaggedFast(line);
  let typ: string;
  let dat: Buffer;
  if (fast !== undefined) {
    [typ, dat] = fast;
  } else {
    const m = /^\S+ ([A-Z]+) (.*)$/s.exec(latin1(line));
    typ = m ? m[1]! : fallback.status;
    dat = m ? bytes(m[2]!) : Buffer.from(fallback.text, 'utf8');
  }
  recordResponseCode(ur, typ, dat);
  return [typ, [dat]];
}
