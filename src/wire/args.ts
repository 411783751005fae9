/**
 * Validating builders for {@link CommandArg}: an invalid atom, number or
 * string is refused here, with an {@link ImapArgumentError} naming the
 * problem, before anything reaches the wire. The encoder checks again what
 * could let a hand-built argument inject a command.
 */
import type { Readable } from 'node:stream';
import { ImapArgumentError } from '../model/errors.js';
import { toSecret, type SecretLike } from '../model/secret.js';
import { SequenceSet } from '../model/sequence-set.js';
import type { CommandArg } from './command-arg.js';
import { formatImapDate, formatImapDateTime, type ImapCalendarDate } from './dates.js';

/** Largest IMAP `number` (RFC 9051): 2^32-1. */
export const MAX_NUMBER = 0xffffffff;
/** Largest IMAP `number64` (RFC 9051, MODSEQ): 2^63-1. */
export const MAX_NUMBER64 = 0x7fffffffffffffffn;
/** Largest literal size: a literal's length is a `number`. */
export const MAX_LITERAL_SIZE = MAX_NUMBER;

/** Character class bits for ASCII. */
const ATOM = 1; // ATOM-CHAR
const ASTRING = 2; // ASTRING-CHAR (ATOM-CHAR and "]")
const FLAGISH = 4; // what an 'atom' argument may hold: ATOM-CHAR, "]", "%", "*", "\"

/** Per-ASCII-code class bits; 8-bit codes have none. @internal */
export const CHAR_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x21; c < 0x7f; c++) t[c] = ATOM | ASTRING | FLAGISH;
  for (const ch of '(){%*"\\]') t[ch.charCodeAt(0)] = 0;
  t[0x5d] = ASTRING | FLAGISH; // ]
  t[0x25] = FLAGISH; // %
  t[0x2a] = FLAGISH; // *
  t[0x5c] = FLAGISH; // \
  return t;
})();

/** Bit of {@link CHAR_CLASS} for ATOM-CHAR. @internal */
export const CLASS_ATOM = ATOM;
/** Bit of {@link CHAR_CLASS} for ASTRING-CHAR. @internal */
export const CLASS_ASTRING = ASTRING;
/** Bit of {@link CHAR_CLASS} for characters an `atom` argument may carry. @internal */
export const CLASS_FLAGISH = FLAGISH;

/** Names a character for an error message. @internal */
export function describeChar(c: number): string {
  if (c === 0x20) return 'a space';
  if (c === 0x0d) return 'a CR';
  if (c === 0x0a) return 'an LF';
  if (c === 0x00) return 'a NUL';
  if (c < 0x20 || c === 0x7f) return `a control character (0x${c.toString(16).padStart(2, '0')})`;
  if (c > 0x7f) return 'a non-ASCII character';
  if (c === 0x22) return 'a double quote';
  if (c === 0x5c) return 'a backslash';
  return `"${String.fromCharCode(c)}"`;
}

/** Options of {@link atom}: characters RFC 9051 allows in some atom-like places. */
export interface AtomOptions {
  /** Allow `%` and `*` (list-wildcards, for LIST/LSUB mailbox patterns). */
  allowWildcards?: boolean;
  /** Allow `]` (resp-specials, allowed in ASTRING-CHAR). */
  allowBracket?: boolean;
}

function checkAtom(s: string, what: string, options?: AtomOptions): void {
  if (typeof s !== 'string') throw new ImapArgumentError(`${what} must be a string`);
  if (s.length === 0) throw new ImapArgumentError(`${what} must not be empty`);
  const wild = options?.allowWildcards === true;
  const bracket = options?.allowBracket === true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && (CHAR_CLASS[c]! & ATOM) !== 0) continue;
    if (wild && (c === 0x25 || c === 0x2a)) continue;
    if (bracket && c === 0x5d) continue;
    throw new ImapArgumentError(
      `${what} ${JSON.stringify(s.slice(0, 80))} contains ${describeChar(c)} at index ${i}`,
    );
  }
}

/**
 * An atom (RFC 9051 `atom`): non-empty, ASCII, without SP, CTL, `(`, `)`,
 * `{`, `%`, `*`, `"`, `\` or `]` (the last three groups allowed by options).
 */
export function atom(s: string, options?: AtomOptions): CommandArg {
  checkAtom(s, 'atom', options);
  return { type: 'atom', value: s };
}

/**
 * A message flag: a system flag or flag extension (`\Seen`, `\Deleted`, any
 * `\` + atom), `\*` (PERMANENTFLAGS), or a keyword (an atom, e.g. `$Forwarded`).
 */
export function flag(s: string): CommandArg {
  if (typeof s !== 'string') throw new ImapArgumentError('flag must be a string');
  if (s === '\\*') return { type: 'atom', value: s };
  if (s.charCodeAt(0) === 0x5c) checkAtom(s.slice(1), 'flag', undefined);
  else checkAtom(s, 'flag', undefined);
  return { type: 'atom', value: s };
}

/** Throws unless `s` has no CR, LF or NUL. @internal */
export function checkRaw(s: string): void {
  if (typeof s !== 'string') throw new ImapArgumentError('raw argument must be a string');
  if (s.length === 0) throw new ImapArgumentError('raw argument must not be empty');
  const m = /[\r\n\0]/.exec(s);
  if (m !== null) {
    throw new ImapArgumentError(
      `raw argument contains ${describeChar(m[0].charCodeAt(0))} at index ${m.index}`,
    );
  }
}

/**
 * Trusted pre-formatted text sent as is (e.g. `BODY.PEEK[HEADER]`, `(FLAGS)`);
 * non-empty, without CR, LF or NUL.
 */
export function raw(s: string): CommandArg {
  checkRaw(s);
  return { type: 'raw', value: s };
}

/** Throws unless `b` is a non-empty Buffer without CR, LF or NUL. @internal */
export function checkRawBytes(b: Buffer): void {
  if (!Buffer.isBuffer(b)) throw new ImapArgumentError('raw bytes argument must be a Buffer');
  if (b.length === 0) throw new ImapArgumentError('raw bytes argument must not be empty');
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x0d || c === 0x0a || c === 0) {
      throw new ImapArgumentError(`raw bytes argument contains ${describeChar(c)} at index ${i}`);
    }
  }
}

/** The empty arguments {@link passThroughEmpty} made: the only ones the encoder sends. */
const emptyPassThroughs = new WeakSet<CommandArg>();

/**
 * An empty argument, sent as nothing after its separating space (`A1 LIST  *`
 * for imaplib's `list('', '*')`): only for the imaplib facade, which sends
 * what CPython sends for an empty string. The typed API's `raw()`/`rawBytes()`
 * still refuse empty values; the encoder accepts only arguments made here.
 * @internal
 */
export function passThroughEmpty(): CommandArg {
  const arg: CommandArg = { type: 'rawBytes', value: Buffer.alloc(0) };
  emptyPassThroughs.add(arg);
  return arg;
}

/** Whether `a` is an empty argument made by {@link passThroughEmpty}. @internal */
export function isPassThroughEmpty(a: CommandArg): boolean {
  return emptyPassThroughs.has(a);
}

/**
 * Trusted pre-formatted bytes sent exactly as given (8-bit bytes too, not
 * re-encoded); non-empty, without CR, LF or NUL. The Buffer is copied.
 */
export function rawBytes(b: Buffer): CommandArg {
  checkRawBytes(b);
  return { type: 'rawBytes', value: Buffer.from(b) };
}

/**
 * Throws unless `n` is an IMAP `number` (integer 0..2^32-1) or, as a bigint,
 * a `number64` (0..2^63-1). @internal
 */
export function checkNumber(n: number | bigint): void {
  if (typeof n === 'bigint') {
    if (n < 0n || n > MAX_NUMBER64) {
      throw new ImapArgumentError(`number ${n} is outside 0..2^63-1`);
    }
  } else if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_NUMBER) {
    throw new ImapArgumentError(
      `number ${String(n)} is not an integer in 0..2^32-1 (use a bigint for 63-bit values)`,
    );
  }
}

/** A number: 0..2^32-1, or a bigint 0..2^63-1 (MODSEQ and other `number64` values). */
export function num(n: number | bigint): CommandArg {
  checkNumber(n);
  return { type: 'number', value: n };
}

/** Throws on a lone UTF-16 surrogate (it has no UTF-8 form). @internal */
export function checkWellFormed(s: string, what: string): void {
  const first = s.search(/[\ud800-\udfff]/);
  if (first === -1) return;
  for (let i = first; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    throw new ImapArgumentError(`${what} has a lone surrogate at index ${i}`);
  }
}

function checkStringValue(v: string | Buffer, what: string): void {
  if (typeof v === 'string') {
    if (v.indexOf('\0') !== -1) throw new ImapArgumentError(`${what} contains a NUL`);
    checkWellFormed(v, what);
  } else if (Buffer.isBuffer(v)) {
    if (v.indexOf(0) !== -1) throw new ImapArgumentError(`${what} contains a NUL`);
  } else {
    throw new ImapArgumentError(`${what} must be a string or a Buffer`);
  }
}

/**
 * A string: sent quoted when it can be, as a literal when it holds CR, LF,
 * 8-bit (without UTF8=ACCEPT) or is longer than 1000 bytes. NUL is refused.
 */
export function str(v: string | Buffer): CommandArg {
  checkStringValue(v, 'string');
  return { type: 'string', value: v };
}

/** An astring: an atom when it can be (not empty, not `NIL`), else like {@link str}. */
export function astring(v: string | Buffer): CommandArg {
  checkStringValue(v, 'astring');
  return { type: 'astring', value: v };
}

/** Options of {@link literal}. */
export interface LiteralOptions {
  /** Exact size in bytes; required for a stream, checked against a Buffer's length. */
  size?: number;
  /** Send as literal8 `~{n}` (RFC 3516 BINARY), which may hold NUL. */
  binary?: boolean;
}

/** Throws unless `size` is a valid literal size. @internal */
export function checkLiteralSize(size: unknown): asserts size is number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_LITERAL_SIZE) {
    throw new ImapArgumentError(`invalid literal size: ${String(size)}`);
  }
}

/**
 * A literal (always sent as one). A string is sent as its UTF-8 bytes; a
 * stream needs its exact `size`. A non-binary Buffer literal may not hold NUL
 * (a stream's content cannot be checked in advance).
 */
export function literal(v: string | Buffer | Readable, options: LiteralOptions = {}): CommandArg {
  const binary = options.binary === true;
  if (typeof v === 'string') {
    checkWellFormed(v, 'literal');
    v = Buffer.from(v, 'utf8');
  }
  if (Buffer.isBuffer(v)) {
    if (options.size !== undefined && options.size !== v.length) {
      throw new ImapArgumentError(
        `literal size ${options.size} differs from its ${v.length} bytes`,
      );
    }
    checkLiteralSize(v.length);
    if (!binary && v.indexOf(0) !== -1) {
      throw new ImapArgumentError('a literal that is not binary must not contain NUL');
    }
    return binary ? { type: 'literal', value: v, binary } : { type: 'literal', value: v };
  }
  if (v === null || typeof v !== 'object' || typeof (v as Readable).pipe !== 'function') {
    throw new ImapArgumentError('literal must be a string, a Buffer or a Readable');
  }
  if (options.size === undefined) throw new ImapArgumentError('a stream literal needs its size');
  checkLiteralSize(options.size);
  return { type: 'literal', value: v, size: options.size, binary };
}

/**
 * A mailbox name in Unicode: modified UTF-7 on the wire, or UTF-8 when
 * UTF8=ACCEPT is enabled; `INBOX` in any case is sent as `INBOX`.
 */
export function mailbox(name: string): CommandArg {
  if (typeof name !== 'string') throw new ImapArgumentError('mailbox name must be a string');
  checkWellFormed(name, 'mailbox name');
  // No IMAP string form can carry NUL (CHAR8 is %x01-ff), so no server can hold such a name.
  if (name.includes('\0')) throw new ImapArgumentError('mailbox name contains a NUL character');
  return { type: 'mailbox', value: name };
}

/** A sequence set or UID set from a set, wire text (`1:4,7:*`, `$`), a number or numbers. */
export function seq(set: SequenceSet | string | number | readonly number[]): CommandArg {
  return { type: 'sequence', value: SequenceSet.from(set) };
}

/** A parenthesised list of arguments: `(a b c)`. */
export function list(items: readonly CommandArg[]): CommandArg {
  if (!Array.isArray(items)) throw new ImapArgumentError('list items must be an array');
  return { type: 'list', items: [...items] };
}

/** `NIL`. */
export function nil(): CommandArg {
  return { type: 'nil' };
}

/**
 * An IMAP date for SEARCH (`1-Feb-1994`): a Date is taken as its UTC calendar
 * day; `{year, month, day}` names the day directly.
 */
export function date(d: Date | ImapCalendarDate): CommandArg {
  formatImapDate(d); // validates
  if (d instanceof Date) return { type: 'date', value: d };
  const value = new Date(0);
  value.setUTCFullYear(d.year, d.month - 1, d.day);
  return { type: 'date', value };
}

/** An IMAP date-time for APPEND (`"01-Feb-1994 21:22:23 +0000"`, in UTC). */
export function datetime(d: Date): CommandArg {
  formatImapDateTime(d); // validates
  return { type: 'datetime', value: d };
}

/** A credential: sent like {@link str}, shown as `[redacted]` in logs. */
export function secret(s: SecretLike): CommandArg {
  const value = toSecret(s);
  checkStringValue(value.reveal(), 'secret');
  return { type: 'secret', value };
}
