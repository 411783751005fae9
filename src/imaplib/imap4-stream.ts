import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { ImapConnection } from '../connection/connection.js';
import type { Security } from '../connection/types.js';
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
    // Node's stdio pipes are socketpairs, and some servers (Dovecot's imap)
    // refuse a socket on stdin: put real pipes in between, as Python's Popen has.
    const child = spawn('/bin/sh', ['-c', `cat | { ${this.command}\n} | cat`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.process = child;
    const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
    this.host = '';
    try {
      return await ImapConnection.connect({ ...this.connectOptions(), stream });
    } catch (err) {
      child.kill();
      throw err;
    }
  }

  override shutdown(): void {
    super.shutdown();
    this.process?.stdin?.end();
  }
}
