import type { Readable } from 'node:stream';
import type { Secret } from '../model/secret.js';
import type { SequenceSet } from '../model/sequence-set.js';

/**
 * One argument of a command, typed so the encoder can choose its wire form
 * safely. Build them with the helpers in `args.ts` (`atom()`, `astring()`,
 * `list()`, ...), which validate before anything reaches the wire.
 */
export type CommandArg =
  /** A validated atom (no spaces, parens, quotes, CTLs, `{`, `%`, `*`, `]` unless allowed). */
  | { type: 'atom'; value: string }
  /** Trusted pre-formatted text sent as is (no CR, LF or NUL — validated); e.g. `BODY.PEEK[HEADER]`, `(FLAGS)`. */
  | { type: 'raw'; value: string }
  /** Trusted pre-formatted bytes sent exactly as given, 8-bit included (no CR, LF or NUL — validated). */
  | { type: 'rawBytes'; value: Buffer }
  /** A number (`bigint` for 63-bit values such as MODSEQ). */
  | { type: 'number'; value: number | bigint }
  /** A string: quoted when it can be, a literal otherwise (CR/LF/NUL/8-bit/too long). */
  | { type: 'string'; value: string | Buffer }
  /** An astring: an atom when it can be, then quoted, then literal. */
  | { type: 'astring'; value: string | Buffer }
  /** Always a literal; `binary` makes it literal8 `~{n}` (RFC 3516). Streams need their exact `size`. */
  | {
      type: 'literal';
      value: Buffer | Readable;
      /** The size in bytes; required for a stream, checked against a Buffer's length. */
      size?: number;
      /** Send as literal8 `~{n}` (RFC 3516 BINARY), which may carry NUL bytes. */
      binary?: boolean;
    }
  /** A mailbox name (Unicode): modified UTF-7 (RFC 3501 5.1.3), or UTF-8 when UTF8=ACCEPT is enabled. */
  | { type: 'mailbox'; value: string }
  /** A sequence set / UID set (also `$`). */
  | { type: 'sequence'; value: SequenceSet }
  /** A parenthesised list. */
  | {
      type: 'list';
      /** The list's elements, in order. */
      items: CommandArg[];
    }
  /** NIL. */
  | { type: 'nil' }
  /** An IMAP date (`1-Feb-1994`, unquoted, for SEARCH). */
  | { type: 'date'; value: Date }
  /** An IMAP date-time (`"01-Feb-1994 21:22:23 +0000"`, quoted, for APPEND). */
  | { type: 'datetime'; value: Date }
  /** A credential: encoded like `string`, shown as `[redacted]` in logs. */
  | { type: 'secret'; value: Secret };

/** How literals may be sent, from the server's capabilities. */
export type LiteralMode =
  /** Synchronizing literals only: wait for `+` before each. */
  | 'sync'
  /** LITERAL+ (RFC 7888): `{n+}` for any size. */
  | 'plus'
  /** LITERAL- (RFC 7888): `{n+}` up to 4096 bytes, synchronizing above. */
  | 'minus'
  /**
   * IMAP4rev2 without LITERAL+ / LITERAL- announced (RFC 9051): `{n+}` up to
   * 4096 bytes like LITERAL-, but binary literals always synchronizing
   * (`~{n}`): RFC 9051's `literal8` has no `+`, and RFC 4466 4.3 allows
   * `~{n+}` only with LITERAL+ (or LITERAL-).
   */
  | 'rev2';

/** Options of {@link encodeCommand}. */
export interface EncodeOptions {
  /** Which literal forms the server accepts; default `'sync'`. */
  literalMode?: LiteralMode;
  /** UTF8=ACCEPT enabled: mailbox names and strings go as UTF-8 quoted strings. */
  utf8?: boolean;
  /**
   * Mailbox names this server sent that are not valid modified UTF-7 (kept
   * as sent when decoded): sent as they are, not encoded into another name.
   */
  rawMailboxNames?: ReadonlySet<string>;
  /**
   * Binary literals (`~{n}`) are always synchronizing: the server does not
   * announce BINARY (RFC 4466 4.3 allows `~{n+}` only with LITERAL+ or
   * LITERAL- and BINARY). UTF-8 APPEND (RFC 6855) uses them without it.
   */
  binaryLiteralsSync?: boolean;
}

/** One step of sending an encoded command. */
export type CommandPart =
  /** Bytes to write. */
  | {
      type: 'data';
      /** The bytes. */
      data: Buffer;
    }
  /** Wait for a `+` continuation before going on (a synchronizing literal was announced). */
  | { type: 'continue' }
  /** Pipe this stream (exactly `size` bytes) as literal content. */
  | {
      type: 'stream';
      /** The literal's content. */
      stream: Readable;
      /** Its size in bytes, as announced in the literal's `{n}` header. */
      size: number;
    };

/** A command ready to send. */
export interface EncodedCommand {
  /** The command's tag, as sent. */
  tag: string;
  /** The steps; data parts are merged where possible; the last data part ends with CRLF. */
  parts: CommandPart[];
  /** The command as text for logs and errors: secrets `[redacted]`, literals as `{n}` only. */
  redacted: string;
}
