import type { RawFraming } from '../model/response.js';

/** One item of imaplib's response data: bytes, or (line, literal) for a response with a literal. */
export type UntaggedItem = Buffer | [Buffer, Buffer];

/** imaplib's `data` list: items, or null (Python's None) when there was no such response. */
export type ResponseData = Array<UntaggedItem | null>;

/** imaplib's `untagged_responses`: response name → data items, oldest first. */
export type UntaggedResponses = Record<string, UntaggedItem[]>;

const UNTAGGED = /^\* ([A-Z-]+)(?: (.*))?$/s;
const UNTAGGED_STATUS = /^\* (\d+) ([A-Z-]+)(?: (.*))?$/s;
const LITERAL = /\{(\d+)\}$/;
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
 * Records an untagged response exactly as CPython's `_get_response` does:
 * `* NAME data` → NAME: data; `* 5 NAME data` → NAME: `5 data`; each literal
 * adds a (line, literal) pair and the text after it continues the data.
 * Returns the response name, or null when the line is not an untagged response.
 */
export function recordUntagged(ur: UntaggedResponses, raw: RawFraming): string | null {
  const pieces = raw.pieces;
  const first = latin1(pieces[0]!);
  let typ: string;
  let dat: string;
  let m = UNTAGGED.exec(first);
  if (m) {
    typ = m[1]!;
    dat = m[2] ?? '';
  } else {
    m = UNTAGGED_STATUS.exec(first);
    if (!m) return null;
    typ = m[2]!;
    dat = m[3] ? `${m[1]!} ${m[3]}` : m[1]!;
  }
  let i = 1;
  while (LITERAL.test(dat) && i < pieces.length) {
    appendUntagged(ur, typ, [bytes(dat), pieces[i]!]);
    dat = latin1(pieces[i + 1] ?? Buffer.alloc(0));
    i += 2;
  }
  const last = bytes(dat);
  appendUntagged(ur, typ, last);
  recordResponseCode(ur, typ, last);
  return typ;
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
  const line = latin1(raw.pieces[0]!);
  const m = /^\S+ ([A-Z]+) (.*)$/s.exec(line);
  const typ = m ? m[1]! : fallback.status;
  const dat = m ? bytes(m[2]!) : Buffer.from(fallback.text, 'utf8');
  recordResponseCode(ur, typ, dat);
  return [typ, [dat]];
}
