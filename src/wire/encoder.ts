/**
 * The command encoder: a tag, a command name and typed arguments in, the
 * bytes to send (split where the server must answer `+` first) and a
 * redacted text for logs out. No I/O.
 */
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { ImapArgumentError } from '../model/errors.js';
import { reveal } from '../model/secret.js';
import { SequenceSet } from '../model/sequence-set.js';
import {
  CHAR_CLASS as IMPORTED_CHAR_CLASS,
  CLASS_ATOM as IMPORTED_CLASS_ATOM,
  CLASS_ASTRING as IMPORTED_CLASS_ASTRING,
  CLASS_FLAGISH as IMPORTED_CLASS_FLAGISH,
  checkLiteralSize,
  checkNumber,
  checkRaw,
  checkRawBytes,
  describeChar,
  isPassThroughEmpty,
} from './args.js';
import type {
  CommandArg,
  CommandPart,
  EncodedCommand,
  EncodeOptions,
  LiteralMode,
} from './command-arg.js';
import { formatImapDate, formatImapDateTime } from './dates.js';
import { encodeMailboxUtf7 } from './utf7.js';

// Module-local aliases: hot loops read them without going through import bindings.
const CHAR_CLASS = IMPORTED_CHAR_CLASS;
const CLASS_ATOM = IMPORTED_CLASS_ATOM;
const CLASS_ASTRING = IMPORTED_CLASS_ASTRING;
const CLASS_FLAGISH = IMPORTED_CLASS_FLAGISH;

/** Longest string sent quoted, in bytes; longer ones go as literals. */
export const MAX_QUOTED_LENGTH = 1000;
/** Largest literal LITERAL- (RFC 7888) allows as non-synchronizing. */
export const LITERAL_MINUS_MAX = 4096;
/** Literals up to this size are copied into the surrounding data part; larger ones get their own. */
const MERGE_LITERAL_MAX = 64 * 1024;

// Flags of a scanned string value.
const F_NUL = 1;
const F_CRLF = 2;
const F_8BIT = 4;
const F_ESCAPE = 8; // has `"` or `\`
const F_NOT_ASTRING = 16; // not all ASTRING-CHAR
const F_LONE_SURROGATE = 32;

function scanString(s: string): number {
  let flags = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if ((CHAR_CLASS[c]! & CLASS_ASTRING) !== 0) continue;
      flags |= F_NOT_ASTRING;
      if (c === 0x22 || c === 0x5c) flags |= F_ESCAPE;
      else if (c === 0x0d || c === 0x0a) flags |= F_CRLF;
      else if (c === 0) flags |= F_NUL;
    } else {
      flags |= F_8BIT | F_NOT_ASTRING;
      if (c >= 0xd800 && c <= 0xdfff) {
        if (c <= 0xdbff) {
          const next = i + 1 < len ? s.charCodeAt(i + 1) : 0;
          if (next >= 0xdc00 && next <= 0xdfff) i++;
          else flags |= F_LONE_SURROGATE;
        } else {
          flags |= F_LONE_SURROGATE;
        }
      }
    }
  }
  return flags;
}

function scanBytes(b: Buffer): number {
  let flags = 0;
  const len = b.length;
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    if (c < 0x80) {
      if ((CHAR_CLASS[c]! & CLASS_ASTRING) !== 0) continue;
      flags |= F_NOT_ASTRING;
      if (c === 0x22 || c === 0x5c) flags |= F_ESCAPE;
      else if (c === 0x0d || c === 0x0a) flags |= F_CRLF;
      else if (c === 0) flags |= F_NUL;
    } else {
      flags |= F_8BIT | F_NOT_ASTRING;
    }
  }
  return flags;
}

function isNil(s: string): boolean {
  return (
    s.length === 3 &&
    (s.charCodeAt(0) | 0x20) === 0x6e &&
    (s.charCodeAt(1) | 0x20) === 0x69 &&
    (s.charCodeAt(2) | 0x20) === 0x6c
  );
}

function isInbox(s: string): boolean {
  return s.length === 5 && s.toLowerCase() === 'inbox' && /^[A-Za-z]+$/.test(s);
}

function quote(s: string, flags: number): string {
  return '"' + ((flags & F_ESCAPE) !== 0 ? s.replace(/["\\]/g, '\\$&') : s) + '"';
}

/** Accumulates the parts of one command. */
class Writer {
  readonly parts: CommandPart[] = [];
  /** Bytes of the current data part, before `text`. */
  private chunks: Buffer[] = [];
  /** Text of the current data part not yet converted to bytes (UTF-8). */
  text = '';
  redacted = '';
  private readonly mode: LiteralMode;
  readonly utf8: boolean;
  private readonly rawMailboxNames: ReadonlySet<string> | undefined;
  private readonly binaryLiteralsSync: boolean;
  private readonly context: string;

  constructor(options: EncodeOptions | undefined, context: string) {
    this.mode = options?.literalMode ?? 'sync';
    this.utf8 = options?.utf8 === true;
    this.rawMailboxNames = options?.rawMailboxNames;
    this.binaryLiteralsSync = options?.binaryLiteralsSync === true;
    this.context = context;
  }

  fail(message: string): ImapArgumentError {
    return new ImapArgumentError(`${this.context}: ${message}`, { command: this.context });
  }

  /** Appends text to both the wire and the log. */
  put(s: string): void {
    this.text += s;
    this.redacted += s;
  }

  /** Appends bytes exactly as given to the wire, and their text to the log. */
  putBytes(b: Buffer): void {
    this.flushText();
    this.chunks.push(b);
    this.redacted += b.toString(isUtf8(b) ? 'utf8' : 'latin1');
  }

  private flushText(): void {
    if (this.text.length > 0) {
      this.chunks.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
  }

  /** Ends the current data part. */
  endData(): void {
    this.flushText();
    const n = this.chunks.length;
    if (n === 0) return;
    this.parts.push({ type: 'data', data: n === 1 ? this.chunks[0]! : Buffer.concat(this.chunks) });
    this.chunks = [];
  }

  /** Writes a literal: `{n}` / `{n+}` / `~{n}`, the continuation wait, the content. */
  literal(content: Buffer | Readable, size: number, binary: boolean, shown?: string): void {
    checkLiteralSize(size);
    const sync =
      this.mode === 'sync' ||
      (binary && (this.mode === 'rev2' || this.binaryLiteralsSync)) ||
      ((this.mode === 'minus' || this.mode === 'rev2') && size > LITERAL_MINUS_MAX);
    const header = (binary ? '~{' : '{') + size + (sync ? '}' : '+}');
    this.text += header + '\r\n';
    this.redacted += shown ?? header;
    if (sync) {
      this.endData();
      this.parts.push({ type: 'continue' });
    }
    if (Buffer.isBuffer(content)) {
      if (content.length === 0) return;
      if (content.length <= MERGE_LITERAL_MAX) {
        this.flushText();
        this.chunks.push(content);
      } else {
        // Large: its own data part, so it is never copied.
        this.endData();
        this.parts.push({ type: 'data', data: content });
      }
    } else {
      this.endData();
      this.parts.push({ type: 'stream', stream: content, size });
    }
  }

  /**
   * Writes a string or astring value: atom (astring only), quoted, or
   * literal. `shown` replaces it in the log (secrets).
   */
  stringValue(v: string | Buffer, asAtom: boolean, shown?: string): void {
    let flags: number;
    let byteLength: number;
    if (typeof v === 'string') {
      flags = scanString(v);
      if ((flags & F_LONE_SURROGATE) !== 0) throw this.fail('string has a lone surrogate');
      byteLength = (flags & F_8BIT) !== 0 ? Buffer.byteLength(v, 'utf8') : v.length;
    } else if (Buffer.isBuffer(v)) {
      flags = scanBytes(v);
      byteLength = v.length;
    } else {
      throw this.fail('string value must be a string or a Buffer');
    }
    if ((flags & F_NUL) !== 0) throw this.fail('a string cannot contain NUL');

    if (asAtom && (flags & F_NOT_ASTRING) === 0 && byteLength > 0) {
      const s = typeof v === 'string' ? v : v.toString('latin1');
      if (!isNil(s)) {
        this.text += s;
        this.redacted += shown ?? s;
        return;
      }
    }

    if (
      (flags & F_CRLF) === 0 &&
      byteLength <= MAX_QUOTED_LENGTH &&
      ((flags & F_8BIT) === 0 || (this.utf8 && (typeof v === 'string' || isUtf8(v))))
    ) {
      const s = typeof v === 'string' ? v : v.toString((flags & F_8BIT) !== 0 ? 'utf8' : 'latin1');
      const q = quote(s, flags);
      this.text += q;
      this.redacted += shown ?? q;
      return;
    }

    const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.literal(bytes, bytes.length, false, shown);
  }

  arg(a: CommandArg): void {
    switch (a.type) {
      case 'atom': {
        const s = a.value;
        if (typeof s !== 'string' || s.length === 0) throw this.fail('empty atom');
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c >= 0x80 || (CHAR_CLASS[c]! & CLASS_FLAGISH) === 0) {
            throw this.fail(`atom ${JSON.stringify(s.slice(0, 80))} contains ${describeChar(c)}`);
          }
        }
        this.put(s);
        return;
      }
      case 'raw':
        try {
          checkRaw(a.value);
        } catch (err) {
          throw this.fail((err as Error).message);
        }
        this.put(a.value);
        return;
      case 'rawBytes':
        // The imaplib facade's empty argument: nothing after the space.
        if (a.value.length === 0 && isPassThroughEmpty(a)) return;
        try {
          checkRawBytes(a.value);
        } catch (err) {
          throw this.fail((err as Error).message);
        }
        this.putBytes(a.value);
        return;
      case 'number':
        try {
          checkNumber(a.value);
        } catch (err) {
          throw this.fail((err as Error).message);
        }
        this.put(String(a.value));
        return;
      case 'string':
        this.stringValue(a.value, false);
        return;
      case 'astring':
        this.stringValue(a.value, true);
        return;
      case 'secret':
        this.stringValue(reveal(a.value), false, '[redacted]');
        return;
      case 'mailbox': {
        const name = a.value;
        if (typeof name !== 'string') throw this.fail('mailbox name must be a string');
        if (isInbox(name)) this.put('INBOX');
        else if (this.utf8 || this.rawMailboxNames?.has(name) === true)
          this.stringValue(name, true);
        else this.stringValue(encodeMailboxUtf7(name), true);
        return;
      }
      case 'literal': {
        const { value, binary = false } = a;
        if (Buffer.isBuffer(value)) {
          if (a.size !== undefined && a.size !== value.length) {
            throw this.fail(`literal size ${a.size} differs from its ${value.length} bytes`);
          }
          if (!binary && value.indexOf(0) !== -1) {
            throw this.fail('a literal that is not binary must not contain NUL');
          }
          this.literal(value, value.length, binary);
        } else {
          if (a.size === undefined) throw this.fail('a stream literal needs its size');
          this.literal(value, a.size, binary);
        }
        return;
      }
      case 'sequence':
        if (!(a.value instanceof SequenceSet)) throw this.fail('sequence must be a SequenceSet');
        this.put(a.value.toString());
        return;
      case 'list': {
        this.put('(');
        const items = a.items;
        for (let i = 0; i < items.length; i++) {
          if (i > 0) this.put(' ');
          this.arg(items[i]!);
        }
        this.put(')');
        return;
      }
      case 'nil':
        this.put('NIL');
        return;
      case 'date':
        this.put(formatImapDate(a.value));
        return;
      case 'datetime':
        this.put('"' + formatImapDateTime(a.value) + '"');
        return;
      default: {
        const never: never = a;
        throw this.fail(
          `unknown argument type ${JSON.stringify((never as { type: unknown }).type)}`,
        );
      }
    }
  }
}

function checkTag(tag: string): void {
  if (typeof tag !== 'string' || tag.length === 0) throw new ImapArgumentError('empty tag');
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (c >= 0x80 || (CHAR_CLASS[c]! & CLASS_ASTRING) === 0 || c === 0x2b) {
      throw new ImapArgumentError(
        `tag ${JSON.stringify(tag.slice(0, 80))} contains ${describeChar(c)} at index ${i}`,
      );
    }
  }
}

function checkCommandName(command: string): void {
  let ok = typeof command === 'string' && command.length > 0;
  for (let i = 0; ok && i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c === 0x20) ok = i > 0 && i < command.length - 1 && command.charCodeAt(i - 1) !== 0x20;
    else ok = c < 0x80 && (CHAR_CLASS[c]! & CLASS_ATOM) !== 0;
  }
  if (!ok) {
    throw new ImapArgumentError(
      `invalid command name ${JSON.stringify(String(command).slice(0, 80))}: atoms separated by single spaces expected`,
    );
  }
}

/**
 * Encodes a command: `tag` (ASTRING-CHARs except `+`), `command` (atoms
 * separated by single spaces, e.g. `UID FETCH`) and `args`, each sent in the
 * safest form its type allows. A value with CR, LF or 8-bit text (without
 * `options.utf8`) becomes a literal, so no argument can ever start a second
 * command line. Literals follow `options.literalMode` (default `sync`).
 *
 * The parts alternate data and `continue` (synchronizing literal) or `stream`
 * (stream literal) steps; data between them is one Buffer, except that a
 * literal over 64 KiB is its own data part so it is never copied. The last
 * part is data ending with CRLF. Throws {@link ImapArgumentError} on any
 * argument that cannot be sent safely.
 */
export function encodeCommand(
  tag: string,
  command: string,
  args: readonly CommandArg[],
  options?: EncodeOptions,
): EncodedCommand {
  checkTag(tag);
  checkCommandName(command);
  const w = new Writer(options, `${tag} ${command}`);
  w.put(tag + ' ' + command);
  for (let i = 0; i < args.length; i++) {
    w.put(' ');
    w.arg(args[i]!);
  }
  w.text += '\r\n';
  w.endData();
  return { tag, parts: w.parts, redacted: w.redacted };
}
