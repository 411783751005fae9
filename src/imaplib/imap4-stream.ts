import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { ImapConnection } from '../connection/connection.js';
import { ImapConnectionError } from '../model/errors.js';
import type { Security } from '../connection/types.js';
import { ImaplibAbort } from './errors.js';
import { IMAP4, type IMAP4Options } from './imap4.js';

/**
 * Python's `IMAP4_stream`: talks IMAP over the stdin/stdout of a local
 * command run by the shell (e.g. `/usr/lib/dovecot/imap` or `ssh host imapd`).
 */
export class IMAP4_stream extends IMAP4 {
  /** The shell command. */
  command = '';
  /** The spawned process. */
  process: ChildProcess | null = null;

  /** Spawns `command` and reads its greeting and capabilities. */
  static override async connect<T extends IMAP4>(
    this: new () => T,
    command = '',
    _port?: number,
    options: IMAP4Options = {},
  ): Promise<T> {
    const instance = new this();
    (instance as unknown as IMAP4_stream).command = command;
    await instance.open(command, undefined, options);
    return instance;
  }

  protected override security(): Security {
    return 'none';
  }

  protected override async openConnection(): Promise<ImapConnection> {
    // Node's stdio pipes are socketpairs, and some servers refuse a socket
    // on stdout (Dovecot's imap takes one for an inetd start): a real pipe
    // (`| cat`) goes in between, as Python's Popen has. Nothing holds the
    // pipe once the command exits, so its exit ends the stream at once (a
    // `cat |` in front for stdin kept the shell waiting, and the stream
    // open, until something was written). The command's exit status goes
    // to fd 3, for the message when it exits before its greeting.
    const script = `{ ( ${this.command}\n) 3>&-; echo "$?" >&3; } | cat 3>&-`;
    const child = spawn('/bin/sh', ['-c', script], {
      stdio: ['pipe', 'pipe', 'inherit', 'pipe'],
    });
    this.process = child;
    const status = exitStatus(child.stdio[3] as Readable);
    // Node destroys the child's stdin when the shell exits, which a Duplex
    // over it reports as "Premature close", racing the end of the output:
    // write through a PassThrough, so that only the output's end ends the
    // stream (what is written after that is lost, as on a closed socket).
    const input = new PassThrough();
    child.stdin!.on('error', () => undefined);
    input.pipe(child.stdin!);
    const stream = Duplex.from({ readable: child.stdout!, writable: input });
    this.host = '';
    try {
      return await ImapConnection.connect({ ...this.connectOptions(), stream });
    } catch (err) {
      if (!isEofBeforeGreeting(err)) {
        child.kill();
        throw err;
      }
      // CPython's abort for a command that exits without a greeting.
      const code = await status.wait();
      child.kill();
      const suffix = code === null ? '' : ` (the command exited with status ${code})`;
      throw new ImaplibAbort(`socket error: EOF${suffix}`, 'CONNECTION_CLOSED', { cause: err });
    }
  }

  override shutdown(): void {
    super.shutdown();
    this.process?.stdin?.end();
  }
}

/** How long to wait for the exit status once the command's output ended. */
const STATUS_WAIT_MS = 1000;

/**
 * Collects the exit status the wrapper script writes to `fd3`. `wait()`
 * resolves once fd3 closes (the shell exited), or STATUS_WAIT_MS after it
 * was called; null when no status came (e.g. the command ran `exec`).
 */
function exitStatus(fd3: Readable): { wait(): Promise<number | null> } {
  let text = '';
  let closed = false;
  fd3.setEncoding('latin1');
  fd3.on('data', (chunk: string) => (text += chunk));
  fd3.on('error', () => undefined);
  fd3.once('close', () => (closed = true));
  const parse = (): number | null => (/^\d+\n$/.test(text) ? Number(text) : null);
  return {
    wait: () =>
      new Promise((resolve) => {
        if (closed) return resolve(parse());
        const timer = setTimeout(() => resolve(parse()), STATUS_WAIT_MS);
        fd3.once('close', () => {
          clearTimeout(timer);
          resolve(parse());
        });
      }),
  };
}

/** Whether `err` is the engine's end of stream before any greeting (no BYE). */
function isEofBeforeGreeting(err: unknown): boolean {
  return err instanceof ImapConnectionError && err.code === 'CONNECTION_CLOSED' && !err.cause;
}
