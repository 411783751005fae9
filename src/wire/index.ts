/**
 * The wire codec: bytes to typed responses and typed arguments to command
 * bytes. Pure and synchronous — no I/O. Import from `imapkit/wire`.
 * @module imapkit/wire
 */
export { ResponseParser, literalStartInfo } from './parser.js';
export type {
  LiteralSink,
  LiteralStartInfo,
  ParserLimits,
  ParserOptions,
} from './parser-options.js';
export { encodeCommand, LITERAL_MINUS_MAX, MAX_QUOTED_LENGTH } from './encoder.js';
export type {
  CommandArg,
  CommandPart,
  EncodedCommand,
  EncodeOptions,
  LiteralMode,
} from './command-arg.js';
export {
  astring,
  atom,
  date,
  datetime,
  flag,
  list,
  literal,
  mailbox,
  MAX_LITERAL_SIZE,
  MAX_NUMBER,
  MAX_NUMBER64,
  nil,
  num,
  raw,
  rawBytes,
  secret,
  seq,
  str,
} from './args.js';
export type { AtomOptions, LiteralOptions } from './args.js';
export { decodeMailboxUtf7, decodeMailboxUtf7Lenient, encodeMailboxUtf7 } from './utf7.js';
export {
  formatImapDate,
  formatImapDateTime,
  parseImapDate,
  parseImapDateTime,
  parseImapDateTimeParts,
} from './dates.js';
export type { ImapCalendarDate, ImapDateTimeParts } from './dates.js';
export { decodeEncodedWords } from './encoded-words.js';
export { decodeCharset, getCharsetDecoder } from './charset.js';
export type { CharsetDecoder } from './charset.js';
export * from '../model/index.js';
