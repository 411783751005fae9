/**
 * CLI errors and exit codes: every failure becomes one line on stderr and a
 * distinct exit status, so scripts can tell a typo from a wrong password
 * from a dead server.
 */
import {
  ImapCapabilityError,
  ImapConnectionError,
  ImapError,
  ImapPartialAppendError,
  ImapProtocolError,
} from '../index.js';

/** Exit statuses of `imapkit`. */
export const EXIT = {
  OK: 0,
  /** Anything not covered below (a bug, an unexpected error). */
  FAILURE: 1,
  /** Bad command line: unknown command or option, missing argument, bad query. */
  USAGE: 2,
  /** Login refused, or no password available. */
  AUTH: 3,
  /** Could not connect, TLS failure, connection lost, timeout. */
  CONNECTION: 4,
  /** The server answered NO or BAD (unknown mailbox, over quota...) or lacks a needed capability. */
  SERVER: 5,
  /** A local file could not be read or written (export/import). */
  LOCAL_IO: 6,
  /** Interrupted (Ctrl-C) before the command finished. */
  INTERRUPTED: 130,
} as const;

/** One of the {@link EXIT} statuses. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line with a given exit status. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad command line (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
    this.name = 'UsageError';
  }
}

/** Ctrl-C before the command finished (exit 130). */
export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', EXIT.INTERRUPTED);
    this.name = 'InterruptedError';
  }
}

/** Throws {@link InterruptedError} when `signal` is aborted. */
export function checkInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new InterruptedError();
}

/** Where the error happened: while connecting and logging in, or running the command. */
export type Phase = 'connect' | 'command';

/** `STATUS ` or `UID FETCH ` from a redacted command line (`A4 STATUS ...`), else ''. */
function commandName(command: string | undefined): string {
  const words = (command ?? '').split(' ');
  const name = words[1]?.toUpperCase();
  if (name === undefined || !/^[A-Z]+$/.test(name)) return '';
  return name === 'UID' && words[2] !== undefined ? `UID ${words[2].toUpperCase()} ` : `${name} `;
}

function serverMessage(err: ImapError): string {
  const code = err.responseCode === null ? '' : ` [${err.responseCode.name}]`;
  const text = err.serverText ?? err.message;
  return `${text}${code}`;
}

/**
 * Maps any error to a {@link CliError}. During `connect`, a NO/BAD is the
 * login being refused (exit 3); later it is the server refusing the command
 * (exit 5). Messages come from imapkit's errors, which never hold secrets.
 */
export function toCliError(err: unknown, phase: Phase): CliError {
  if (err instanceof CliError) return err;
  // How many were stored is the caller's note; the failure is the cause's.
  if (err instanceof ImapPartialAppendError) return toCliError(err.cause, phase);
  if (err instanceof ImapProtocolError) {
    if (phase === 'connect') {
      return new CliError(`login failed: ${serverMessage(err)}`, EXIT.AUTH, { cause: err });
    }
    const what = commandName(err.command);
    return new CliError(
      `server refused ${what}(${err.status}): ${serverMessage(err)}`,
      EXIT.SERVER,
      {
        cause: err,
      },
    );
  }
  if (err instanceof ImapError && err.code === 'AUTH') {
    return new CliError(`login failed: ${err.message}`, EXIT.AUTH, { cause: err });
  }
  if (err instanceof ImapConnectionError) {
    return new CliError(`connection error: ${err.message}`, EXIT.CONNECTION, { cause: err });
  }
  if (err instanceof ImapCapabilityError) {
    return new CliError(`the server cannot do this: ${err.message}`, EXIT.SERVER, { cause: err });
  }
  if (err instanceof ImapError && err.code === 'ARGUMENT') {
    return new CliError(err.message, EXIT.USAGE, { cause: err });
  }
  if (err instanceof ImapError) {
    return new CliError(err.message, EXIT.FAILURE, { cause: err });
  }
  const sys = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    return new CliError(err.message, EXIT.LOCAL_IO, { cause: err });
  }
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.FAILURE, {
    cause: err,
  });
}

/**
 * The one line printed on stderr for an error: no line breaks inside, and
 * no control characters (server text must not drive the terminal).
 */
export function errorLine(err: CliError): string {
  const text = err.message
    // Each run of whitespace with a line break in it becomes one space; the
    // regex /\s*[\r\n]+\s*/ did that but backtracked quadratically on a long
    // run without one (server text of 1 MiB of spaces: minutes).
    .replace(/\s+/g, (ws) => (/[\r\n]/.test(ws) ? ' ' : ws))
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `imapkit: ${text}\n`;
}

/** `err` as a {@link CliError} with `note` added to its message (e.g. how far a run got). */
export function withNote(err: unknown, note: string): CliError {
  const e = toCliError(err, 'command');
  return new CliError(`${e.message} (${note})`, e.exitCode, { cause: e.cause ?? e });
}
