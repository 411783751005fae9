/** `--help` texts: the command list and each command's usage and options. */
import { GLOBAL_OPTIONS, type OptionSpecs } from './args.js';
import type { CommandSpec } from './command.js';
import { EXIT } from './errors.js';

function optionLines(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
    return [`  ${short}--${name}${value}`, spec.description] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, desc]) => left.padEnd(width) + desc);
}

/** Help of one command. */
export function commandHelp(cmd: CommandSpec): string {
  const lines = [`Usage: imapkit ${cmd.usage}`, '', cmd.description.trim(), ''];
  if (cmd.aliases !== undefined && cmd.aliases.length > 0) {
    lines.push(`Alias: ${cmd.aliases.join(', ')}`, '');
  }
  if (Object.keys(cmd.options).length > 0) lines.push('Options:', ...optionLines(cmd.options), '');
  lines.push('Connection and output options:', ...optionLines(GLOBAL_OPTIONS), '');
  if (cmd.examples !== undefined && cmd.examples.length > 0) {
    lines.push('Examples:', ...cmd.examples.map((e) => `  ${e}`), '');
  }
  return lines.join('\n');
}

/** The top-level help: commands, global options, environment and exit codes. */
export function mainHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4;
  return [
    'Usage: imapkit <command> [options] [arguments]',
    '',
    'List, search, read, export, import and watch IMAP mail.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Connection and output options (every command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: IMAPKIT_HOST, IMAPKIT_PORT, IMAPKIT_USER, IMAPKIT_PASSWORD,',
    '  IMAPKIT_PASSWORD_FILE, IMAPKIT_SECURITY (tls|starttls|plain), IMAPKIT_CA,',
    '  IMAPKIT_LOCAL_ADDRESS. Without a password source, a terminal is asked (no echo).',
    '',
    `Exit status: ${EXIT.OK} ok, ${EXIT.FAILURE} other error, ${EXIT.USAGE} usage, ${EXIT.AUTH} login failed,`,
    `  ${EXIT.CONNECTION} connection/TLS error, ${EXIT.SERVER} server said NO/BAD, ${EXIT.LOCAL_IO} local file error,`,
    `  ${EXIT.INTERRUPTED} interrupted.`,
    '',
    "Run 'imapkit <command> --help' for a command's options.",
    '',
  ].join('\n');
}
