/**
 * Where the password comes from: `IMAPKIT_PASSWORD`, `--password-file`, the
 * discouraged `--password` (warned), or an interactive prompt without echo
 * when stdin is a terminal. The value is wrapped in a {@link Secret} at once.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ReadStream } from 'node:tty';
import { Secret } from '../index.js';
import { CliError, EXIT, InterruptedError } from './errors.js';
import type { CliIo } from './io.js';

/** The sources the password may come from, in order of preference. */
export interface PasswordSources {
  /** `--password` (argv). */
  argv?: string;
  /** `--password-file` or IMAPKIT_PASSWORD_FILE. */
  file?: string;
  user: string;
  host: string;
}

/** Reads the password from the first available source; throws exit 3 when there is none. */
export async function obtainPassword(
  io: CliIo,
  sources: PasswordSources,
  warn: (text: string) => Promise<void>,
): Promise<Secret> {
  if (sources.argv !== undefined) {
    await warn(
      'a password given with --password is visible to other users (ps) and kept in shell ' +
        'history; prefer IMAPKIT_PASSWORD, --password-file or the interactive prompt',
    );
    return new Secret(sources.argv);
  }
  const fromEnv = io.env.IMAPKIT_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return new Secret(fromEnv);
  if (sources.file !== undefined) {
    let text: string;
    try {
      if (((await stat(sources.file)).mode & 0o077) !== 0) {
        await warn(`${sources.file} can be read by other users; chmod 600 it`);
      }
      text = await readFile(sources.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError(`cannot read the password file ${sources.file} (${code})`, EXIT.LOCAL_IO);
    }
    return new Secret(text.replace(/\r?\n$/, ''));
  }
  if (io.stdinIsTTY === true && typeof (io.stdin as ReadStream).setRawMode === 'function') {
    return new Secret(await promptHidden(io, `Password for ${sources.user}@${sources.host}: `));
  }
  throw new CliError(
    'no password: set IMAPKIT_PASSWORD, use --password-file FILE, or run on a terminal to be asked',
    EXIT.AUTH,
  );
}

/** Asks on stderr and reads one line from the terminal without echoing it. */
export function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin as ReadStream;
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err === null) resolve(value);
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new InterruptedError());
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    // Echo off before asking, so nothing typed is ever shown.
    stdin.setRawMode(true);
    io.stderr.write(prompt);
    stdin.on('data', onData);
    stdin.resume();
  });
}
