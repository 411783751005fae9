/**
 * Running the CLI in-process against the test Dovecot: `runCli(args)`
 * captures stdout and stderr and resolves with the exit status.
 */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { testServer } from '../helpers/dovecot.js';

/** What one run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for --raw). */
  stdoutBytes: Buffer;
}

/** Options of {@link runCli}. */
export interface RunOptions {
  /** Environment (default: {@link cliEnv} for alice). */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Called with each stdout chunk as it is written (watch). */
  onStdout?: (text: string) => void;
  /** Called with each stderr chunk as it is written. */
  onStderr?: (text: string) => void;
  stderrIsTTY?: boolean;
}

/** The environment connecting as `user` to the test server over STARTTLS with its CA. */
export function cliEnv(user = 'alice'): Record<string, string> {
  const env = testServer();
  return {
    IMAPKIT_HOST: env.host,
    IMAPKIT_PORT: String(env.port),
    IMAPKIT_USER: user,
    IMAPKIT_PASSWORD: env.users[user]!,
    IMAPKIT_CA: env.caFile,
  };
}

/** Runs `imapkit args...` in-process. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => {
    out.push(c);
    options.onStdout?.(c.toString('utf8'));
  });
  stderr.on('data', (c: Buffer) => {
    err.push(c);
    options.onStderr?.(c.toString('utf8'));
  });
  const code = await main(args, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: options.env ?? cliEnv(),
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: options.stderrIsTTY ?? false,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    stdoutBytes,
  };
}

/** Parses JSON Lines output. */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
