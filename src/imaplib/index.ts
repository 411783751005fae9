/**
 * The Python-imaplib-compatible facade: `IMAP4`, `IMAP4_SSL`, `IMAP4_stream`,
 * the `error` / `abort` / `readonly` errors and the module helpers.
 * @module imapkit/imaplib
 */
export { IMAP4, IMAP4_SSL } from './imap4.js';
export type { Authobject, IMAP4Options, ImaplibArg, ImaplibResult } from './imap4.js';
export { IMAP4_stream } from './imap4-stream.js';
export {
  ImaplibAbort as abort,
  ImaplibError as error,
  ImaplibReadonly as readonly,
  ImaplibAbort,
  ImaplibError,
  ImaplibReadonly,
} from './errors.js';
export { Internaldate2tuple, Int2AP, ParseFlags, Time2Internaldate } from './helpers.js';
export type { StructTime } from './helpers.js';
export type { ResponseData, UntaggedItem, UntaggedResponses } from './response-log.js';
export type { ImaplibState } from './commands-table.js';
/** imaplib's default ports. */
export const IMAP4_PORT = 143;
/** imaplib's default port of IMAP4_SSL. */
export const IMAP4_SSL_PORT = 993;
