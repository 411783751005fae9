/**
 * What the command line talks to: its output streams, input, environment
 * and cancellation signal. `main()` takes one, so tests run the CLI
 * in-process with captured output.
 */
import type { Readable, Writable } from 'node:stream';

/** The streams and environment of one CLI run. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  /** stdout is a terminal (colours and tables may adapt). */
  stdoutIsTTY?: boolean;
  /** stderr is a terminal: progress bars are drawn only then. */
  stderrIsTTY?: boolean;
  /** stdin is a terminal: the password may be asked for interactively. */
  stdinIsTTY?: boolean;
  /** Aborted on Ctrl-C: `watch` logs out and exits 0, longer commands stop between messages. */
  signal?: AbortSignal;
}

/** The process's own streams, environment and a signal aborted by SIGINT/SIGTERM. */
export function processIo(signal: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    signal,
  };
}

/** Writes `text` and waits until the stream accepted it (back-pressure). */
export async function write(stream: Writable, text: string | Buffer): Promise<void> {
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', fail);
      stream.off('close', done);
      resolve();
    };
    const fail = (err: Error): void => {
      stream.off('drain', done);
      stream.off('close', done);
      reject(err);
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', fail);
  });
}
