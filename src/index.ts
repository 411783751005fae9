/**
 * imapkit: a complete, fast and safe IMAP client.
 *
 * - {@link ImapClient}: the high-level client (mailbox locks, events,
 *   streaming downloads, IDLE, auto-reconnect with QRESYNC resync).
 * - {@link ImapConnection}: one connection (TLS, STARTTLS, pipelining, IDLE,
 *   COMPRESS, SASL), with `run()` for any command.
 * - `commands`: one typed function per IMAP command or extension.
 * - `imapkit/imaplib`: the Python-imaplib-compatible facade.
 * - `imapkit/wire`: the codec alone.
 * @module imapkit
 */
export * from './model/index.js';
export * from './connection/index.js';
export * from './client/index.js';
export * as commands from './commands/index.js';
