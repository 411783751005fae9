#!/usr/bin/env node
/**
 * The `imapkit` command line: `main(argv, io)` runs one command and
 * resolves with its exit status, writing only to `io` — so tests run it
 * in-process. Run as a program (the package's `bin`), it uses the
 * process's streams, turns Ctrl-C into a clean stop, and exits with that
 * status.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImapClient, ImapConnectionError, type ClientOptions } from '../index.js';
import { boolOpt, parseCommandArgs, splitCommand } from './args.js';
import type { CommandSpec, RunContext } from './command.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { listCommand } from './commands/list.js';
import { searchCommand } from './commands/search.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { resolveConnectOptions } from './connect-options.js';
import { CliError, errorLine, EXIT, toCliError, UsageError } from './errors.js';
import { commandHelp, mainHelp } from './help.js';
import { processIo, write, type CliIo } from './io.js';
import { Output } from './output.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  listCommand,
  statusCommand,
  searchCommand,
  showCommand,
  exportCommand,
  importCommand,
  watchCommand,
];

function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name) === true);
}

/** The package version, for `--version` (package.json is two levels up from src/cli and dist/cli). */
function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and resolves
 * with the exit status. Never throws and never exits the process.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let client: ImapClient | null = null;
  let exitCode: number = EXIT.OK;
  try {
    const { command: name, rest } = splitCommand(argv);
    if (name === null) {
      if (rest.includes('--version')) {
        await write(io.stdout, `imapkit ${version()}\n`);
        return EXIT.OK;
      }
      const wantsHelp = rest.includes('--help') || rest.includes('-h');
      await write(wantsHelp ? io.stdout : io.stderr, mainHelp(COMMANDS));
      return wantsHelp ? EXIT.OK : EXIT.USAGE;
    }
    const command = name === 'help' ? findCommand(rest[0] ?? '') : findCommand(name);
    if (name === 'help') {
      await write(io.stdout, command === undefined ? mainHelp(COMMANDS) : commandHelp(command));
      return EXIT.OK;
    }
    if (command === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)} (see imapkit --help)`);
    }
    const { values, positionals } = parseCommandArgs(
      rest,
      command.options,
      command.queryTerms === true,
    );
    if (boolOpt(values, 'help')) {
      await write(io.stdout, commandHelp(command));
      return EXIT.OK;
    }
    if (positionals.length < command.args.min || positionals.length > command.args.max) {
      throw new UsageError(`usage: imapkit ${command.usage}`);
    }
    const json = boolOpt(values, 'json');
    const output = new Output(io.stdout, io.stderr, json);
    const ctx: RunContext = {
      io,
      out: output,
      values,
      args: positionals,
      signal: io.signal,
      progress: io.stderrIsTTY === true && !json,
      async connect(extra: Partial<ClientOptions> = {}) {
        let security: ClientOptions['security'];
        try {
          const options = await resolveConnectOptions({
            io,
            values,
            warn: (text) => output.warn(text),
          });
          security = options.security;
          client = new ImapClient({ ...options, ...extra });
          await client.connect();
          return client;
        } catch (err) {
          throw withTlsPortHint(toCliError(err, 'connect'), err, security);
        }
      },
    };
    const status = await command.run(ctx);
    exitCode = typeof status === 'number' ? status : EXIT.OK;
  } catch (err) {
    const cliError = toCliError(err, 'command');
    exitCode = cliError.exitCode;
    await write(io.stderr, errorLine(cliError)).catch(() => undefined);
    if (
      cliError.exitCode === EXIT.FAILURE &&
      !(err instanceof CliError) &&
      argv.includes('--debug')
    ) {
      await write(io.stderr, `${(err as Error).stack ?? ''}\n`).catch(() => undefined);
    }
  } finally {
    const c = client as ImapClient | null;
    if (c !== null) {
      // A clean LOGOUT unless the connection is what failed.
      if (exitCode === EXIT.CONNECTION) c.close();
      else await c.logout();
    }
  }
  return exitCode;
}

/**
 * A plaintext or STARTTLS session that never sees a greeting is most often
 * pointed at an implicit-TLS port (the server waits for a TLS handshake):
 * say so, since the timeout alone does not explain it.
 */
function withTlsPortHint(
  error: CliError,
  cause: unknown,
  security: ClientOptions['security'],
): CliError {
  const noGreeting =
    cause instanceof ImapConnectionError &&
    cause.code === 'CONNECTION_TIMEOUT' &&
    cause.message.startsWith('no greeting');
  if (!noGreeting || security === 'tls') return error;
  return new CliError(
    `${error.message} (if this port expects TLS from the start, such as 993, add --tls)`,
    error.exitCode,
    { cause },
  );
}

/** True when this module is the program being run (also through npm's bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const controller = new AbortController();
  const stop = (): void => {
    // A second Ctrl-C does not wait for the clean stop.
    if (controller.signal.aborted) process.exit(EXIT.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `imapkit ... | head`: the reader went away.
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  void main(process.argv.slice(2), processIo(controller.signal)).then((code) => {
    process.exitCode = code;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}
