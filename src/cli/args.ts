/**
 * Command-line parsing on top of `node:util` parseArgs: the global options
 * (connection, output), each command's own options, and typed getters.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** One option: its parseArgs type plus what `--help` shows. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help (`FILE`, `N`). */
  value?: string;
  description: string;
}

/** Options by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed option values by long name. */
export type OptionValues = Readonly<
  Record<string, string | boolean | Array<string | boolean> | undefined>
>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  host: { type: 'string', short: 'H', value: 'HOST', description: 'server (env IMAPKIT_HOST)' },
  port: {
    type: 'string',
    short: 'p',
    value: 'PORT',
    description: 'port (env IMAPKIT_PORT; default 993, or 143 with --starttls/--plain)',
  },
  tls: { type: 'boolean', description: 'implicit TLS (the default on port 993)' },
  starttls: {
    type: 'boolean',
    description: 'plain connect, then STARTTLS, required (the default on any port but 993)',
  },
  plain: {
    type: 'boolean',
    description: 'no TLS at all (env IMAPKIT_SECURITY=tls|starttls|plain)',
  },
  user: { type: 'string', short: 'u', value: 'USER', description: 'login name (env IMAPKIT_USER)' },
  'password-file': {
    type: 'string',
    value: 'FILE',
    description: 'read the password from FILE (env IMAPKIT_PASSWORD_FILE)',
  },
  password: {
    type: 'string',
    value: 'PASSWORD',
    description: 'the password on argv: discouraged, warned (prefer env IMAPKIT_PASSWORD)',
  },
  ca: {
    type: 'string',
    value: 'FILE',
    description: 'trust this CA certificate (PEM; env IMAPKIT_CA)',
  },
  insecure: { type: 'boolean', description: 'do NOT verify the TLS certificate (dangerous)' },
  'local-address': {
    type: 'string',
    value: 'ADDR',
    description: 'connect from this local address',
  },
  timeout: {
    type: 'string',
    value: 'SECONDS',
    description: 'connect and command timeout (default 60)',
  },
  json: {
    type: 'boolean',
    description: 'machine-readable output (JSON, or JSON Lines for streams)',
  },
  debug: { type: 'boolean', description: 'trace the IMAP session on stderr (secrets redacted)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** Global options that take a value (to find the command name behind them). */
function takesValue(token: string): boolean {
  if (token.startsWith('--')) {
    const name = token.slice(2);
    return !name.includes('=') && GLOBAL_OPTIONS[name]?.type === 'string';
  }
  if (/^-[A-Za-z]$/.test(token)) {
    return Object.values(GLOBAL_OPTIONS).some((o) => o.short === token[1] && o.type === 'string');
  }
  return false;
}

/** The command name (the first token that is not a global option or its value) and the rest. */
export function splitCommand(argv: readonly string[]): { command: string | null; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (token.startsWith('-') && token !== '-') {
      if (takesValue(token)) i++;
      continue;
    }
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: null, rest: [...argv] };
}

/** Parsed arguments of a command. */
export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
}

/** Marks a negated query term (`-seen`, `-from:bob`) so the option parser leaves it alone. */
const NEGATED_TERM = '\u0000';

/** `-word` (two or more letters): a negated search term, not an option. */
function isNegatedTerm(token: string): boolean {
  return /^-[A-Za-z(][^=]+$/.test(token) || /^-[A-Za-z][A-Za-z-]*:/.test(token);
}

/**
 * Parses `argv` against the global options and `specs`; unknown options are
 * usage errors. With `queryTerms`, `-word` positionals are negated search
 * terms (kept in place), not bundled short options.
 */
export function parseCommandArgs(
  argv: readonly string[],
  specs: OptionSpecs,
  queryTerms = false,
): ParsedArgs {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...specs })) {
    options[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  try {
    const dashDash = argv.indexOf('--');
    const args = argv.map((a, i) =>
      queryTerms && (dashDash === -1 || i < dashDash) && isNegatedTerm(a) ? NEGATED_TERM + a : a,
    );
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    const unmark = (v: string | boolean): string | boolean =>
      typeof v === 'string' && v.startsWith(NEGATED_TERM) ? v.slice(1) : v;
    // An option's value that looked like a negated term (`--sort -date`) is the value as given.
    const plain: Record<string, string | boolean | Array<string | boolean> | undefined> = {};
    for (const [name, v] of Object.entries(values)) {
      plain[name] = Array.isArray(v) ? v.map(unmark) : v === undefined ? v : unmark(v);
    }
    return {
      values: plain,
      positionals: positionals.map((p) => (p.startsWith(NEGATED_TERM) ? p.slice(1) : p)),
    };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
}

/** A string option's value. */
export function stringOpt(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean option's value (false when absent). */
export function boolOpt(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A repeatable string option's values. */
export function listOpt(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** A positive integer option (or undefined when absent). */
export function intOpt(
  values: OptionValues,
  name: string,
  min = 1,
  max = 0xffffffff,
): number | undefined {
  const v = stringOpt(values, name);
  if (v === undefined) return undefined;
  return parseIntArg(v, `--${name}`, min, max);
}

/** Parses an integer argument, with a usage error naming `what`. */
export function parseIntArg(text: string, what: string, min = 1, max = 0xffffffff): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what} must be between ${min} and ${max}`);
  return n;
}
