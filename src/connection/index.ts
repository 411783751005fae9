/**
 * The connection layer: one IMAP connection with its transport, TLS,
 * STARTTLS, COMPRESS, command queue and pipelining, IDLE, SASL, timeouts and
 * state machine. See {@link ImapConnection}.
 */
export { ImapConnection } from './connection.js';
export type { IdleHandle, IdleOptions } from './idle.js';
export type {
  AuthOptions,
  CommandProgress,
  CommandResult,
  ConnectionEvents,
  ConnectionState,
  ConnectOptions,
  CorrelatedReceiver,
  CorrelatingContext,
  Logger,
  RunOptions,
  Security,
  SelectedMailbox,
  Timeouts,
} from './types.js';
